// Web Push on this device, turned on and off on the account page (notifications/push.py).
// Loaded by site.js where the page has the switch.
(function () {
  "use strict";

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

  startPush();
})();
