// Chi bộ số outbox (issue 13): what was typed with no network waits on this device and goes
// once the network is back. Loaded by the pages that queue (topic, pledge), by site.js on any
// page when something waits, and by the service worker (core/sw.js) for Background Sync.
(function (scope) {
  "use strict";

  // A reply or a pledge edit that found no network waits on this device
  // (IndexedDB "chibo", else localStorage) as {key, kind, url, page, fields, text, topic, user, error}
  // and is sent, with its idempotency key, by the worker's `sync` event where the browser has
  // Background Sync, otherwise on the `online` event or the next load of any page. One sender
  // at a time (Web Locks); the server stores one post per key. A refusal (the topic closed,
  // the pledge changed elsewhere) keeps the item, its text and the reason: the page it came
  // from shows it. Logging out deletes it all (`wipe`). Each item names the account it was
  // typed under (`user`): a page sends and shows only its own member's items, and the server
  // refuses an item sent under another account's session (core.middleware.OutboxOwnerMiddleware,
  // answered 409 {owner: false}), which then waits, untouched, for its owner's next login.
  var TAG = "chibo-outbox", LS = "chibo.outbox", LEGACY = "chibo.forum.outbox";
  function lsItems() { try { return JSON.parse(scope.localStorage.getItem(LS) || "[]"); } catch (e) { return []; } }
  function lsSave(items) { try { scope.localStorage.setItem(LS, JSON.stringify(items)); } catch (e) { /* private mode */ } }
  function idb(mode, work) {
    return new Promise(function (resolve, reject) {
      if (!scope.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var open = scope.indexedDB.open("chibo", 1);
      open.onupgradeneeded = function () {
        // Only a write makes the database: reading an outbox never made (or wiped) leaves none.
        if (mode === "readonly") { open.transaction.abort(); return; }
        open.result.createObjectStore("outbox", { keyPath: "key" });
      };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var db = open.result, tx = db.transaction("outbox", mode), req = work(tx.objectStore("outbox"));
        tx.oncomplete = function () { db.close(); resolve(req ? req.result : undefined); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      };
    });
  }
  function hasLS() { return typeof document !== "undefined" && !!scope.localStorage; }
  // The member this page is for ("" in the worker, which knows no session: the server checks).
  function me() { return typeof document !== "undefined" && document.body ? document.body.getAttribute("data-user") || "" : ""; }
  function mine(item) { return !item.user || !me() || String(item.user) === me(); }
  var outbox = {
    all: function () {
      return idb("readonly", function (s) { return s.getAll(); }).catch(function () { return hasLS() ? lsItems() : []; });
    },
    put: function (item) {
      return idb("readwrite", function (s) { s.put(item); }).catch(function () {
        lsSave(lsItems().filter(function (i) { return i.key !== item.key; }).concat([item]));
      });
    },
    remove: function (key) {
      return idb("readwrite", function (s) { s["delete"](key); }).catch(function () {}).then(function () {
        if (hasLS()) lsSave(lsItems().filter(function (i) { return i.key !== key; }));
      });
    },
    wipe: function () {
      return new Promise(function (resolve) {
        if (!scope.indexedDB) { resolve(); return; }
        var req = scope.indexedDB.deleteDatabase("chibo");
        req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
      });
    }
  };
  // One sender at a time across this device's pages and its worker.
  function locked(work) {
    var locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request(TAG, work) : work();
  }
  function csrf() {
    if (typeof document !== "undefined") {
      var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      return Promise.resolve(m ? decodeURIComponent(m[1]) : "");
    }
    return scope.cookieStore ? scope.cookieStore.get("csrftoken").then(function (c) { return c ? c.value : ""; }, function () { return ""; }) : Promise.resolve("");
  }
  function sendOne(item, token) {
    var data = new FormData();
    item.fields.forEach(function (f) { data.append(f[0], f[1]); });
    if (token) data.set("csrfmiddlewaretoken", token);
    var headers = { "X-Requested-With": "fetch" };
    if (item.user) headers["X-Chibo-User"] = String(item.user);
    return fetch(item.url, {
      method: "POST", body: data, credentials: "same-origin", headers: headers
    }).then(function (r) {
      return r.json().then(function (j) { return [r.status, j]; }, function () { return [r.status, null]; });
    }).then(function (answer) {
      var json = answer[1];
      if (answer[0] === 429 || answer[0] >= 500) throw new Error("later");
      if (json && json.owner === false) return "not-mine"; // another account is logged in: kept for its owner
      if (json && json.ok) return outbox.remove(item.key).then(function () { return "sent"; });
      item.error = (json && (json.errors ? json.errors.join(" ") : json.error)) || "?";
      return outbox.put(item).then(function () { return "refused"; });
    });
  }
  // Sends what waits (but what `skip` says this page sends itself); resolves to what happened,
  // rejects when something must be tried again later (the worker's sync then retries).
  function flush(skip) {
    return locked(function () {
      return Promise.all([outbox.all(), csrf()]).then(function (got) {
        var done = [], later = false;
        var items = got[0].filter(function (i) { return !i.error && mine(i) && !(skip && skip(i)); });
        return items.reduce(function (chain, item) {
          return chain.then(function () {
            return sendOne(item, got[1]).then(function (what) { done.push([what, item]); }, function () { later = true; });
          });
        }, Promise.resolve()).then(function () {
          if (later) { var e = new Error("later"); e.done = done; throw e; }
          return done;
        });
      });
    });
  }
  function queue(item) {
    item.user = item.user || me();
    return outbox.put(item).then(function () {
      flag([item]);
      // Background Sync: the worker sends it when the network is back, even with the page
      // closed. Not waited for (`ready` never settles without a worker).
      if (!("serviceWorker" in scope.navigator)) return;
      scope.navigator.serviceWorker.ready.then(function (reg) {
        return reg.sync ? reg.sync.register(TAG) : null;
      }).catch(function () {});
    });
  }
  // A flag for site.js (no page loads this file for nothing): something waits or was refused.
  function flag(items) {
    if (typeof document === "undefined") return;
    try {
      // Anyone's items: a page for another account loads this file and sends only its own.
    if (items.some(function (i) { return !i.error || !i.told; })) scope.localStorage.setItem("chibo.outbox.waiting", "1");
      else scope.localStorage.removeItem("chibo.outbox.waiting");
    } catch (e) { /* private mode */ }
  }
  scope.ChiBoOutbox = { outbox: outbox, flush: flush, queue: queue, wipe: outbox.wipe, mine: mine };
  if (typeof document === "undefined") return; // in the service worker: the outbox alone

  function toaster(message, url) { if (scope.ChiBo && scope.ChiBo.toast) scope.ChiBo.toast(message, url); }
  // From a page: send what waits (a pledge page's own edit is its autosave's to send), tell
  // the page (`chibo:outbox`), and show a refused item's reason with a link to its page.
  var flushing = false;
  function flushHere() {
    if (flushing || navigator.onLine === false || !window.fetch || !window.FormData) return Promise.resolve();
    flushing = true;
    function ownPledge(item) {
      return item.kind === "pledge" && !!document.querySelector('form[data-autosave][action="' + item.url + '"]');
    }
    return flush(ownPledge).then(function (done) { return done; }, function (err) { return err.done || []; })
      .then(function (done) {
        flushing = false;
        told(done);
      });
  }
  // What was sent or refused, by this page or the worker: the page hears of it, and a refusal
  // is told once, on any page but its own (which shows it), with a link to it.
  function told(done) {
    // Always: the worker may have sent or been refused meanwhile, while this page waited.
    document.dispatchEvent(new CustomEvent("chibo:outbox", { detail: done }));
    if (!document.body.hasAttribute("data-outbox-refused")) return; // logged out
    outbox.all().then(function (items) {
      items.forEach(function (item) {
        if (!item.error || item.told || !mine(item) || item.page === window.location.pathname) return;
        toaster(document.body.getAttribute("data-outbox-refused") + " " + (item.error === "?" ? "" : item.error), item.page);
        item.told = true;
        outbox.put(item);
      });
      flag(items);
    });
  }
  function start() {
    // Replies queued by an earlier release (forum.js kept them in localStorage).
    var legacy = null;
    try { legacy = JSON.parse(window.localStorage.getItem(LEGACY) || "null"); } catch (e) { legacy = null; }
    var moved = Promise.resolve();
    if (legacy && legacy.length) {
      moved = Promise.all(legacy.map(function (i) {
        i.kind = "reply";
        i.page = i.page || "/forum/topics/" + i.topic + "/";
        return outbox.put(i);
      })).then(function () { window.localStorage.removeItem(LEGACY); });
    }
    moved.then(flushHere);
    window.addEventListener("online", flushHere);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.addEventListener("message", function (e) {
        if (e.data && e.data.type === "outbox") told(e.data.done || []);
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(self);
