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
  window.ChiBo = { liveSocket: liveSocket };

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

  // Web Push on this device, turned on and off on the account page (notifications/push.py).
  function startPush() {
    var box = document.querySelector("[data-push]");
    if (!box || !("PushManager" in window) || !("serviceWorker" in navigator)) return;
    var button = box.querySelector("button");
    var status = box.querySelector("[data-push-status]");
    var token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
    box.hidden = false;
    function post(url, body) {
      return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json", "X-CSRFToken": token } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); });
    }
    function show(sub, said) {
      button.textContent = box.getAttribute(sub ? "data-off" : "data-on");
      button.setAttribute("aria-pressed", sub ? "true" : "false");
      if (said) status.textContent = box.getAttribute(sub ? "data-done-on" : "data-done-off");
    }
    navigator.serviceWorker.ready.then(function (reg) {
      reg.pushManager.getSubscription().then(function (sub) { show(sub, false); });
      button.addEventListener("click", function () {
        reg.pushManager.getSubscription().then(function (sub) {
          if (sub) {
            return post(box.getAttribute("data-unsubscribe"), { endpoint: sub.endpoint })
              .then(function () { return sub.unsubscribe(); }).then(function () { show(null, true); });
          }
          return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: box.getAttribute("data-push") })
            .then(function (made) {
              return post(box.getAttribute("data-subscribe"), made.toJSON()).then(function () { show(made, true); });
            });
        }).catch(function () { status.textContent = box.getAttribute("data-failed"); });
      });
    });
  }

  function start() {
    startNotifications();
    startOffline();
    startPush();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
