// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // htmx requests carry this session's CSRF token, as forms do in a hidden field.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.body.getAttribute("data-csrf-token");
    if (token) { event.detail.headers["X-CSRF-Token"] = token; }
  });
  // Signed out: whatever this origin stored goes, as Clear-Site-Data also asks the browser
  // (which some browsers ignore): the outreach outbox, caches and the service worker.
  if (document.body && document.body.hasAttribute("data-wipe")) {
    if (window.indexedDB && indexedDB.databases) {
      indexedDB.databases().then(function (dbs) {
        dbs.forEach(function (db) { if (db.name) { indexedDB.deleteDatabase(db.name); } });
      });
    }
    if (window.caches) {
      caches.keys().then(function (keys) { keys.forEach(function (k) { caches.delete(k); }); });
    }
    if (navigator.serviceWorker) {
      navigator.serviceWorker.getRegistrations().then(function (registrations) {
        registrations.forEach(function (r) { r.unregister(); });
      });
    }
    try { sessionStorage.clear(); localStorage.clear(); } catch (e) { /* storage disabled */ }
  }
  // An error summary takes the focus, so a screen reader announces it (GOV.UK pattern).
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
