// Chi bộ số: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";


  // A WebSocket that reconnects with capped exponential backoff and jitter.
  // onOpen runs on every (re)connect, so callers can resynchronise from the server.
  function liveSocket(path, handlers) {
    var attempt = 0;
    var socket = null;
    var closedByUs = false;
    function connect() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + window.location.host + path);
      socket.onopen = function () {
        attempt = 0;
        if (handlers.onOpen) handlers.onOpen(socket);
      };
      socket.onmessage = function (e) {
        var data;
        try { data = JSON.parse(e.data); } catch (err) { return; }
        if (handlers.onEvent) handlers.onEvent(data, socket);
      };
      socket.onclose = function (e) {
        if (closedByUs || e.code === 4401 || e.code === 4403 || e.code === 4404) return;
        var delay = Math.min(30000, 500 * Math.pow(2, attempt)) * (0.75 + Math.random() * 0.5);
        attempt += 1;
        window.setTimeout(connect, delay);
      };
    }
    connect();
    return {
      close: function () { closedByUs = true; if (socket) socket.close(); },
      send: function (obj) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(obj)); }
    };
  }
  window.ChiBo = { liveSocket: liveSocket, toast: function (m, u) { toast(m, u); } };

  function setUnread(count) {
    var badges = document.querySelectorAll("[data-unread-count]");
    for (var i = 0; i < badges.length; i++) {
      badges[i].textContent = String(count);
      badges[i].classList.toggle("is-empty", !count);
    }
  }

  var toastTimer = null;
  function toast(message, url) {
    var box = document.querySelector(".toast");
    if (!box) {
      box = document.createElement("div");
      box.className = "toast";
      box.setAttribute("role", "status");
      box.setAttribute("data-toast", "");
      document.body.appendChild(box);
    }
    box.textContent = "";
    var text = document.createElement(url ? "a" : "span");
    if (url) text.href = url;
    text.textContent = message;
    box.appendChild(text);
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(function () { box.remove(); }, 8000);
  }

  function startNotifications() {
    var path = document.body.getAttribute("data-notifications-ws");
    if (!path || !("WebSocket" in window)) return;
    liveSocket(path, {
      onEvent: function (event) {
        if (typeof event.unread === "number") setUnread(event.unread);
        if (event.type === "notification.created") toast(event.message, event.url || null);
      }
    });
  }

  // The service worker (/sw.js, core/pwa.py) keeps the shell and the lessons opened for offline use.
  function startOffline() {
    if (!("serviceWorker" in navigator) || !window.caches) return;
    navigator.serviceWorker.register("/sw.js").catch(function () {});
    // "Save for offline use": every page of a module stored in one tap.
    var box = document.querySelector("[data-save-offline]");
    if (!box) return;
    var button = box.querySelector("button");
    var status = box.querySelector("[data-save-offline-status]");
    box.hidden = false;
    button.addEventListener("click", function () {
      var urls = box.getAttribute("data-save-offline").split(" ");
      button.disabled = true;
      status.textContent = box.getAttribute("data-saving");
      caches.open("chibo-pages").then(function (cache) { return cache.addAll(urls); }).then(function () {
        status.textContent = box.getAttribute("data-saved");
      }, function () {
        status.textContent = box.getAttribute("data-failed");
      }).then(function () { button.disabled = false; });
    });
  }

  // The outbox (outbox.js): loaded on any page when something waits (its flag) or the worker
  // sent something; topic and pledge pages load it themselves.
  // Scripts only some pages need, named on <body>: loaded once, when needed.
  function load(name) {
    var src = document.body.getAttribute("data-" + name + "-js");
    if (!src || document.querySelector('script[src="' + src + '"]')) return;
    var script = document.createElement("script");
    script.src = src;
    document.head.appendChild(script);
  }
  function loadOutbox() { if (!window.ChiBoOutbox) load("outbox"); }
  function waiting() {
    try { return !!(window.localStorage.getItem("chibo.outbox.waiting") || window.localStorage.getItem("chibo.forum.outbox")); } catch (e) { return false; }
  }
  function startOutbox() {
    if (waiting()) loadOutbox();
    window.addEventListener("online", function () { if (waiting()) loadOutbox(); });
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.addEventListener("message", function (e) { if (e.data && e.data.type === "outbox") loadOutbox(); });
    }
  }

  // Logging out leaves nothing of the member on the device (outbox, drafts, pages read).
  function startLogout() {
    document.addEventListener("submit", function (e) {
      var form = e.target;
      if (!form.hasAttribute || !form.hasAttribute("data-logout") || form.getAttribute("data-wiped")) return;
      e.preventDefault();
      form.setAttribute("data-wiped", "1");
      var keys = [];
      try {
        for (var i = 0; i < window.localStorage.length; i++) keys.push(window.localStorage.key(i));
        keys.forEach(function (k) { if (k && k.indexOf("chibo") === 0) window.localStorage.removeItem(k); });
      } catch (err) { /* private mode */ }
      var jobs = [new Promise(function (resolve) {
        if (!window.indexedDB) { resolve(); return; }
        var req = window.indexedDB.deleteDatabase("chibo"); // the outbox (outbox.js)
        req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
      })];
      if (window.caches) jobs.push(caches["delete"]("chibo-pages"));
      var wait = new Promise(function (resolve) { window.setTimeout(resolve, 2000); });
      Promise.race([Promise.all(jobs).catch(function () {}), wait]).then(function () { form.submit(); });
    });
  }

  function start() {
    startNotifications();
    startOffline();
    if (document.querySelector("[data-push]")) load("push"); // Web Push on/off (account page)
    startOutbox();
    startLogout();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
