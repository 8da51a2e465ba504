// The counter's service worker: the counter page and its files stay on the device so the
// counter opens and sells with no link. The page: from the network first (a fresh page
// when the server answers within a few seconds), else the copy kept here. Its files: the
// copy kept here (a new version of the shop brings a new worker and new copies).
"use strict";
const VERSION = {{ version|tojson }};
const PAGE = new URL({{ page|tojson }}, self.location).href;
const FILES = {{ files|tojson }}.map((f) => new URL(f, self.location).href);
const CACHE = "counter-" + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(FILES);
    try {
      const page = await fetch(PAGE, { credentials: "same-origin" });
      if (page.ok && !page.redirected) { await cache.put(PAGE, page); }
    } catch (error) { /* no link now: the page is kept the next time it loads */ }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("counter-") && name !== CACHE) {
        const old = await caches.open(name);
        const page = await old.match(PAGE);
        if (page) { await (await caches.open(CACHE)).put(PAGE, page); }
        await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}

async function thePage(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), 4000);
    if (response.ok && !response.redirected) {
      await cache.put(PAGE, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await cache.match(PAGE);
    if (kept) { return kept; }
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  url.hash = "";
  if (request.mode === "navigate" && url.origin + url.pathname === PAGE) {
    event.respondWith(thePage(request));
    return;
  }
  if (FILES.includes(url.href)) {
    event.respondWith((async () => {
      const kept = await caches.match(url.href);
      return kept || fetch(request);
    })());
  }
});
