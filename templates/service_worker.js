// A service worker that keeps some of the shop's pages and their files on the device, so
// they open with no link: the counter (/counter/sw.js) and a stock count's scanning page
// (/stock/counts/sw.js) each register one, rendered from this template with what it keeps.
// A page: from the network first (a fresh page when the server answers within a few
// seconds, which replaces the copy kept here), else the copy kept here. Its files: the copy
// kept here (a new version of the shop brings a new worker and new copies). Only GET of
// those pages and files: nothing else (the API, other pages) is ever touched.
"use strict";
const NAME = {{ name|tojson }};
const VERSION = {{ version|tojson }};
// The pages it keeps: their paths (the query is not part of a page's key).
const PAGES = new RegExp({{ pages|tojson }});
// Pages fetched and kept when the worker installs (the counter's own page).
const INSTALL_PAGES = {{ install_pages|tojson }}.map((p) => new URL(p, self.location).href);
const FILES = {{ files|tojson }}.map((f) => new URL(f, self.location).href);
const CACHE = NAME + "-" + VERSION; // the files, one cache per version
const KEPT = NAME + "-pages"; // the pages, kept from one version to the next
// A page carries its member's name and token: a kept page answers only while the member
// it was made for is the one signed in on this device (shop.js writes who that is, on
// every page, under SIGNED_IN; its own page is dropped when someone else signs in).
const PER_MEMBER = {{ per_member|tojson }};
const SIGNED_IN = "shop-signed-in";

function pageKey(url) {
  const key = new URL(url);
  return PAGES.test(key.pathname) ? key.origin + key.pathname : null;
}

function keepable(response) {
  return response.ok && !response.redirected && response.type === "basic" &&
    (!PER_MEMBER || response.headers.has("X-Shop-Member"));
}

async function keepPage(url) {
  const key = pageKey(url);
  if (!key) { return; }
  try {
    const page = await fetch(key, { credentials: "same-origin", cache: "no-store" });
    if (keepable(page)) { await (await caches.open(KEPT)).put(key, page); }
  } catch (error) { /* no link now: the page is kept the next time it loads */ }
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(FILES);
    for (const page of INSTALL_PAGES) { await keepPage(page); }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(NAME + "-") && name !== CACHE && name !== KEPT) {
        // An earlier version's cache: its pages move to KEPT (older versions kept them
        // with the files), the rest goes.
        const old = await caches.open(name);
        for (const request of await old.keys()) {
          if (pageKey(request.url)) {
            await (await caches.open(KEPT)).put(request.url, await old.match(request));
          }
        }
        await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

// A page opened before this worker took it over asks for itself to be kept.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.keep && event.source) {
    event.waitUntil(keepPage(event.source.url));
  }
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}

async function signedIn() {
  const marker = await (await caches.open(SIGNED_IN)).match("/signed-in");
  return marker ? (await marker.text()) : "";
}

// The kept copy of a page, marked as such for the page's script (a meta tag), when there
// is one this device's member may see.
async function keptCopy(key) {
  const kept = await (await caches.open(KEPT)).match(key);
  if (!kept) { return null; }
  if (PER_MEMBER && kept.headers.get("X-Shop-Member") !== await signedIn()) { return null; }
  const text = await kept.text();
  const when = kept.headers.get("Date") || "";
  const meta = `<meta name="kept-copy" content="${when.replace(/[^\w ,:+-]/g, "")}">`;
  const headers = new Headers(kept.headers);
  headers.delete("Content-Length"); // the body is longer by the meta, and not compressed
  headers.delete("Content-Encoding");
  return new Response(text.replace(/<head>/i, `<head>${meta}`), {
    status: kept.status, statusText: kept.statusText, headers,
  });
}

async function thePage(request, key) {
  try {
    const response = await withTimeout(fetch(request), 4000);
    if (keepable(response)) {
      await (await caches.open(KEPT)).put(key, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await keptCopy(key);
    if (kept) { return kept; }
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  url.hash = "";
  const key = request.mode === "navigate" ? pageKey(url.href) : null;
  if (key) {
    event.respondWith(thePage(request, key));
    return;
  }
  if (FILES.includes(url.href)) {
    event.respondWith((async () => {
      const kept = await caches.match(url.href, { cacheName: CACHE });
      return kept || fetch(request);
    })());
  }
});
