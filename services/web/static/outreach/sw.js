// The outreach app's service worker (served at /outreach/sw.js, scope /outreach/).
// It keeps the app shell, reference data and the premises labels (pseudonymous) so the app
// opens and works with no signal. It never caches anything about a person: visits go only
// through the encrypted outbox in IndexedDB, and no other API answer is kept.
const VERSION = "__VERSION__";
const SHELL = `waymark-outreach-shell-${VERSION}`;
const DATA = "waymark-outreach-data";
const ASSETS = __ASSETS__;
const DATA_PATHS = ["/outreach/api/reference", "/outreach/api/premises"];
const NAVIGATION_TIMEOUT_MS = 4000;

async function fetchFresh(path) {
  const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  // A redirect is the sign-in page, not the app: never kept.
  if (!response.ok || response.redirected) throw new Error(`not cached: ${response.status}`);
  return response;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const shell = await caches.open(SHELL);
      for (const path of ASSETS) await shell.put(path, await fetchFresh(path));
      const data = await caches.open(DATA);
      for (const path of DATA_PATHS) {
        try {
          await data.put(path, await fetchFresh(path));
        } catch (error) {
          // Fetched again whenever the app is online.
        }
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("waymark-outreach-shell-") && name !== SHELL) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

async function shellPage(request) {
  const cached = () => caches.match("/outreach/", { cacheName: SHELL });
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((_, reject) => setTimeout(() => reject(new Error("slow")), NAVIGATION_TIMEOUT_MS)),
    ]);
    if (response.ok && !response.redirected) {
      const copy = response.clone();
      caches.open(SHELL).then((cache) => cache.put("/outreach/", copy));
    }
    return response;
  } catch (error) {
    return (await cached()) || Response.error();
  }
}

async function freshData(request, path) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const copy = response.clone();
      caches.open(DATA).then((cache) => cache.put(path, copy));
      return response;
    }
    if (response.status === 401) {
      // Signed out: the app still works from what it has, and asks her to sign in again.
      return (await caches.match(path, { cacheName: DATA })) || response;
    }
    return response;
  } catch (error) {
    return (await caches.match(path, { cacheName: DATA })) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && (url.pathname === "/outreach/" || url.pathname === "/outreach")) {
    event.respondWith(shellPage(request));
  } else if (DATA_PATHS.includes(url.pathname)) {
    event.respondWith(freshData(request, url.pathname));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(
      caches.match(url.pathname, { cacheName: SHELL }).then((hit) => hit || fetch(request)),
    );
  }
  // Anything else (the outbox's posts, the session) goes to the network, never to a cache.
});

// Background Sync: the outbox is sealed under a key only her PIN opens, so the worker cannot
// read it; it asks an open app to send. With none open, the sync fails and the browser tries
// again later; the app sends everything when she next opens it.
self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window" });
      if (!windows.length) throw new Error("no app open to send the outbox");
      windows.forEach((client) => client.postMessage({ type: "send-outbox" }));
    })(),
  );
});
