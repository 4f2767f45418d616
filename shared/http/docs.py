"""The interactive API docs at ``/docs``: Swagger UI served by the service itself.

The page loads nothing from anywhere else (no CDN): the Swagger UI files are vendored from
the ``swagger-ui-dist`` npm package (version below) in ``shared/http/static/``, and the page is
started by a served script, not an inline one, so its Content-Security-Policy can be
``'self'`` only (``shared/http/headers.py``). There is no ReDoc page: one set of vendored
third-party code is enough. Bearer tokens are entered with the page's Authorize button.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse

SWAGGER_UI_VERSION = "5.35.0"  # swagger-ui-dist; update the files and this together
STATIC_DIR = Path(__file__).parent / "static"
DOCS_PATH = "/docs"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-init.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
ASSET_PATHS = frozenset(f"{DOCS_PATH}/static/{name}" for name in ASSETS)
# Not personal data, unlike every other response: a browser may keep them for a while.
_ASSET_CACHE = {"Cache-Control": "public, max-age=3600"}


def docs_page(title: str) -> str:
    static = f"{DOCS_PATH}/static"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} — API docs</title>
<link rel="icon" type="image/png" href="{static}/favicon-32x32.png">
<link rel="stylesheet" href="{static}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{static}/swagger-ui-bundle.js"></script>
<script src="{static}/swagger-init.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets (the app is built with ``docs_url=None``)."""
    page = docs_page(app.title)

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)

    for name, media_type in ASSETS.items():
        app.add_api_route(
            f"{DOCS_PATH}/static/{name}",
            _asset(STATIC_DIR / name, media_type),
            methods=["GET"],
            include_in_schema=False,
        )


def _asset(path: Path, media_type: str) -> Callable[[], FileResponse]:
    def serve() -> FileResponse:
        return FileResponse(path, media_type=media_type, headers=_ASSET_CACHE)

    return serve
