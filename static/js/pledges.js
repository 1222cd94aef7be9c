// Pledges: save drafts on the server as the member types and before the page goes away.
// Without this file the "Save draft" button does the same. The server refuses a save based
// on an older version (another tab): then autosave stops and the text stays in the boxes.
(function () {
  "use strict";

  var DELAY = 1500;

  function csrfToken(form) {
    // Read the cookie each time: logging in again elsewhere rotates the token.
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setup(form) {
    var status = form.querySelector("[data-autosave-status]");
    var versionInput = form.querySelector("[data-version]");
    // form.action would be the button named "action": read the attribute.
    var url = form.getAttribute("action");
    var timer = null;
    var dirty = false;
    var inFlight = false;
    var stopped = false;

    function show(text, isError) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("is-error", !!isError);
    }

    function body() {
      var data = new FormData(form);
      data.set("autosave", "1");
      data.set("csrfmiddlewaretoken", csrfToken(form));
      data.delete("action");
      return data;
    }

    function save(keepalive) {
      if (!dirty || stopped || (inFlight && !keepalive)) return;
      inFlight = true;
      dirty = false;
      show(form.getAttribute("data-saving"));
      var request = fetch(url, {
        method: "POST",
        body: body(),
        credentials: "same-origin",
        keepalive: !!keepalive,
        headers: { "X-Requested-With": "XMLHttpRequest" }
      });
      request.then(function (response) {
        return response.json().then(function (json) { return { status: response.status, json: json }; });
      }).then(function (result) {
        inFlight = false;
        if (result.json.ok) {
          versionInput.value = String(result.json.version);
          show(form.getAttribute("data-saved") + " " + (result.json.saved_at || clock()));
          if (dirty) schedule();
          return;
        }
        dirty = true;
        if (result.status === 409 || result.status === 401) {
          stopped = true; // never overwrite; the member decides (reload, or log in again)
          showError(result.json.error, result.json.login_url);
        } else {
          show(result.json.error || form.getAttribute("data-failed"), true);
        }
      }).catch(function () {
        inFlight = false;
        dirty = true;
        show(form.getAttribute("data-failed"), true);
        window.setTimeout(function () { save(false); }, 10000);
      });
    }

    function clock() {
      // The server sends the time; this fallback is 24-hour too, like the rest of the site.
      var now = new Date();
      function two(n) { return (n < 10 ? "0" : "") + n; }
      return two(now.getHours()) + ":" + two(now.getMinutes()) + ":" + two(now.getSeconds());
    }

    function showError(message, loginUrl) {
      var box = document.createElement("div");
      box.className = "errorlist-box";
      box.setAttribute("role", "alert");
      var p = document.createElement("p");
      p.textContent = message;
      box.appendChild(p);
      if (loginUrl) {
        var a = document.createElement("a");
        a.href = loginUrl;
        a.target = "_blank";
        a.rel = "noopener";
        a.textContent = loginUrl;
        box.appendChild(a);
      }
      form.insertBefore(box, form.firstChild);
      show(message, true);
    }

    function schedule() {
      dirty = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { save(false); }, DELAY);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    form.addEventListener("submit", function () {
      // The ordinary POST carries the text now; a late autosave must not race it.
      stopped = true;
      window.clearTimeout(timer);
      var token = form.querySelector("input[name=csrfmiddlewaretoken]");
      if (token) token.value = csrfToken(form);
    });
    function leaving() {
      if (dirty && !stopped) save(true);
    }
    window.addEventListener("pagehide", leaving);
    window.addEventListener("beforeunload", leaving);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") leaving();
    });
  }

  function start() {
    if (!("fetch" in window) || !("FormData" in window)) return;
    var forms = document.querySelectorAll("form[data-autosave]");
    for (var i = 0; i < forms.length; i++) setup(forms[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
