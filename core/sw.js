// Chi bộ số service worker, served at /sw.js by core.pwa.service_worker with CONFIG filled in.
// Pages work without it; it only lets the shell and what the member has read open offline.
"use strict";
var CONFIG = "__CONFIG__";
var SHELL = "chibo-shell-" + CONFIG.version; // static files and the offline page of this release
var PAGES = "chibo-pages"; // private pages the member opened or saved; this browser only
// The outbox (replies and pledge edits typed offline): static/js/outbox.js, the pages' own code.
try { importScripts(CONFIG.files["js/outbox.js"]); } catch (err) { /* no outbox: pages send it */ }

// Background Sync: sends the outbox, maybe with no page open; rejects to be tried again later.
self.addEventListener("sync", function (event) {
  if (event.tag !== "chibo-outbox" || !self.ChiBoOutbox) return;
  function tell(done) {
    return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
      list.forEach(function (client) { client.postMessage({ type: "outbox", done: done }); });
    });
  }
  // An open pledge page sends its own (newer) edit.
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    var open = list.map(function (client) { return new URL(client.url).pathname; });
    return self.ChiBoOutbox.flush(function (item) { return item.kind === "pledge" && open.indexOf(item.page) >= 0; });
  }).then(tell, function (err) {
    return tell(err.done || []).then(function () { throw err; });
  }));
});

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(CONFIG.shell);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  // A new release drops the previous releases' shells.
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("chibo-shell-") === 0 && name !== SHELL;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function keep(path) {
  for (var i = 0; i < CONFIG.keep.length; i++) {
    if (new RegExp(CONFIG.keep[i]).test(path)) return true;
  }
  return false;
}

function offline(request) {
  if (request.mode !== "navigate") return Response.error();
  return caches.match(CONFIG.offline, { cacheName: SHELL }).then(function (hit) { return hit || Response.error(); });
}

function fromStatic(request, url) {
  return caches.match(request, { cacheName: SHELL }).then(function (hit) {
    if (hit) return hit;
    return fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(SHELL).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      // A page saved under an earlier release names older file versions: use this one's.
      var name = url.pathname.slice(CONFIG.static.length).replace(/\.[0-9a-f]{12}(\.\w+)$/, "$1");
      var current = CONFIG.files[name];
      return current ? caches.match(current, { cacheName: SHELL }).then(function (hit) { return hit || Response.error(); }) : Response.error();
    });
  });
}

function fromNetworkThenPages(request) {
  return fetch(request).then(function (response) {
    if (response.status === 200 && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { cacheName: PAGES }).then(function (hit) { return hit || offline(request); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    // Logging out, or in as someone else: nobody else's pages stay here; a logout drops the
    // outbox too (site.js does the same, with or without a worker).
    // Dropped before the request leaves, so the next page cannot find them.
    // This device's pushes stop too: the push service then answers 410 and the server forgets it.
    if (CONFIG.drop.indexOf(url.pathname) >= 0) {
      var pushes = self.registration.pushManager ? self.registration.pushManager.getSubscription() : Promise.resolve(null);
      var queue = self.ChiBoOutbox && url.pathname === CONFIG.logout ? self.ChiBoOutbox.wipe() : null;
      event.respondWith(Promise.all([caches.delete(PAGES), queue, pushes.then(function (sub) { return sub && sub.unsubscribe(); })])
        .catch(function () {}).then(function () { return fetch(request); }));
    }
    return;
  }
  if (url.pathname.indexOf(CONFIG.static) === 0) {
    event.respondWith(fromStatic(request, url));
  } else if (keep(url.pathname)) {
    event.respondWith(fromNetworkThenPages(request));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () { return offline(request); }));
  }
});

// Web Push (notifications/push.py): {"title", "body", "url"}, shown even when the site is closed.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (err) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "Chi bộ số", {
    body: data.body || "", icon: CONFIG.icon, lang: "vi", data: { url: data.url || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL(event.notification.data.url, self.location.origin);
  if (url.origin !== self.location.origin) url = new URL("/", self.location.origin);
  event.waitUntil(self.clients.openWindow(url.href));
});
