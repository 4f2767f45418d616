#!/usr/bin/env bash
# Re-vendor the web app's front-end assets from the npm registry, at the pinned versions.
# Run by hand when a pin changes; the results are committed (no build step at run time).
# GOV.UK Frontend is compiled with our own font stack and without the GDS Transport font,
# which is only for government services.
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX=2.0.11
GOVUK=6.6.0
SASS=1.108.2
out=services/web/static/vendor
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null &&
  npm install --silent --no-audit --no-fund "htmx.org@$HTMX" "govuk-frontend@$GOVUK" "sass@$SASS")
cat > "$work/waymark.scss" <<'SCSS'
@use "govuk-frontend/dist/govuk" as * with (
  $govuk-font-family: (system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif),
  $govuk-include-default-font-face: false,
  $govuk-assets-path: "/static/vendor/govuk/"
);
SCSS
(cd "$work" && npx sass --no-source-map --style=compressed --load-path=node_modules \
  --quiet-deps waymark.scss govuk-frontend.min.css)
mkdir -p "$out"
cp "$work/govuk-frontend.min.css" "$out/govuk-frontend-$GOVUK.min.css"
cp "$work/node_modules/htmx.org/dist/htmx.min.js" "$out/htmx-$HTMX.min.js"
# GOV.UK Frontend is MIT licensed (its package.json); it ships no licence file.
node -e 'const p=require(process.argv[1]);console.log(p.name+" "+p.version+": "+p.license)' \
  "$work/node_modules/govuk-frontend/package.json" > "$out/govuk-frontend.LICENSE.txt"
cp "$work/node_modules/htmx.org/LICENSE" "$out/htmx.LICENSE.txt"
echo "Vendored htmx $HTMX and GOV.UK Frontend $GOVUK (CSS) into $out"
