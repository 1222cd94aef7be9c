// Pledges: save drafts on the server as the member types and before the page goes away.
// Without this file the "Save draft" button does the same. The server refuses a save based
// on an older version (another tab): then autosave stops and the text stays in the boxes.
//
// Saves are queued: never two in flight, except the last one sent as the page is hidden or
// closed (keepalive, with the newest text). That one may be based on the version before a
// save still in flight; the page's random token and save counter let the server accept it as
// this page's own (and refuse an older save of this page arriving after a newer one).
// Until the server confirms the newest text, a copy stays in localStorage; on the next load
// the page offers to put it back if it differs from what the server has.
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

  function newToken() {
    var bytes = [];
    var i;
    if (window.crypto && window.crypto.getRandomValues) {
      var array = new Uint8Array(12);
      window.crypto.getRandomValues(array);
      for (i = 0; i < array.length; i++) bytes.push(array[i]);
    } else {
      for (i = 0; i < 12; i++) bytes.push(Math.floor(Math.random() * 256));
    }
    return bytes.map(function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function storage() {
    try {
      var s = window.localStorage;
      s.setItem("chibo:probe", "1");
      s.removeItem("chibo:probe");
      return s;
    } catch (e) {
      return null; // private mode, disabled, full: autosave still works without the copy
    }
  }

  function setup(form) {
    var status = form.querySelector("[data-autosave-status]");
    var versionInput = form.querySelector("[data-version]");
    // form.action would be the button named "action": read the attribute.
    var url = form.getAttribute("action");
    var token = newToken();
    var store = storage();
    var storeKey = "chibo:pledge-unsaved:" + url;
    var timer = null;
    var dirty = false;
    var inFlight = 0;
    var seq = 0; // the counter of the last save sent
    var edits = 0; // changes typed on this page
    var stopped = false;

    function show(text, isError) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("is-error", !!isError);
    }

    function fields() {
      return form.querySelectorAll("textarea[name], select[name]");
    }

    function values() {
      var out = {};
      var list = fields();
      for (var i = 0; i < list.length; i++) out[list[i].name] = list[i].value;
      return out;
    }

    function remember() {
      if (!store) return;
      try {
        store.setItem(storeKey, JSON.stringify({ values: values(), at: Date.now() }));
      } catch (e) { /* full: the server copy is what counts */ }
    }

    // The outbox's copy of this page's last offline save (one per pledge: the newest text).
    var outboxKey = "pledge:" + url;
    function queue(data) {
      if (!window.ChiBoOutbox) return;
      var fields = [];
      data.forEach(function (value, name) { if (name !== "csrfmiddlewaretoken") fields.push([name, value]); });
      window.ChiBoOutbox.queue({ key: outboxKey, kind: "pledge", url: url, page: window.location.pathname, fields: fields });
    }
    function unqueue() {
      if (window.ChiBoOutbox) window.ChiBoOutbox.outbox.remove(outboxKey);
    }

    function forget() {
      if (store) store.removeItem(storeKey);
    }

    function body() {
      var data = new FormData(form);
      data.set("autosave", "1");
      data.set("csrfmiddlewaretoken", csrfToken(form));
      data.set("client_token", token);
      seq += 1;
      data.set("client_seq", String(seq));
      data.delete("action");
      return data;
    }

    function send(keepalive) {
      var data = body();
      var mySeq = seq;
      var editsAtSend = edits;
      dirty = false;
      inFlight += 1;
      show(form.getAttribute("data-saving"));
      fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        keepalive: !!keepalive,
        headers: { "X-Requested-With": "XMLHttpRequest" }
      }).then(function (response) {
        return response.json().then(function (json) { return { status: response.status, json: json }; });
      }).then(function (result) {
        inFlight -= 1;
        if (result.json.ok) {
          if (edits === editsAtSend && !dirty) unqueue();
          if (result.json.version > Number(versionInput.value)) versionInput.value = String(result.json.version);
          show(form.getAttribute("data-saved") + " " + (result.json.saved_at || clock()));
          if (edits === editsAtSend && !dirty) forget(); // the server has the newest text
          if (dirty) schedule();
          return;
        }
        // A newer save of this page was sent after this one: its answer decides.
        if (mySeq < seq) return;
        dirty = true;
        if (result.status === 409) unqueue(); // the conflict is shown here; the text stays in the boxes
        if (result.status === 409 || result.status === 401) {
          stopped = true; // never overwrite; the member decides (reload, or log in again)
          showError(result.json.error, result.json.login_url);
        } else {
          show(result.json.error || form.getAttribute("data-failed"), true);
        }
      }).catch(function () {
        inFlight -= 1;
        if (mySeq < seq) return;
        dirty = true;
        if (navigator.onLine === false) {
          // Offline: the text stays here (and in localStorage); the `online` event saves it,
          // or, with the page closed, the outbox (site.js: Background Sync or any next page).
          show(form.getAttribute("data-offline"), true);
          queue(data);
          return;
        }
        show(form.getAttribute("data-failed"), true);
        window.setTimeout(save, 10000);
      });
    }

    function save() {
      // Queued: while a save is in flight, the text waits (dirty) and goes when it answers.
      if (!dirty || stopped || inFlight > 0) return;
      send(false);
    }

    function clock() {
      // The server sends the time; this fallback is 24-hour too, like the rest of the site.
      var now = new Date();
      function two(n) { return (n < 10 ? "0" : "") + n; }
      return two(now.getHours()) + ":" + two(now.getMinutes()) + ":" + two(now.getSeconds());
    }

    function notice(message) {
      var box = document.createElement("div");
      box.className = "errorlist-box";
      box.setAttribute("role", "alert");
      var p = document.createElement("p");
      p.textContent = message;
      box.appendChild(p);
      form.insertBefore(box, form.firstChild);
      return box;
    }

    function showError(message, loginUrl) {
      var box = notice(message);
      if (loginUrl) {
        var a = document.createElement("a");
        a.href = loginUrl;
        a.target = "_blank";
        a.rel = "noopener";
        a.textContent = loginUrl;
        box.appendChild(a);
      }
      show(message, true);
    }

    function offerRestore() {
      if (!store) return;
      var kept = null;
      try {
        kept = JSON.parse(store.getItem(storeKey) || "null");
      } catch (e) {
        kept = null;
      }
      if (!kept || !kept.values) return;
      var now = values();
      var differs = false;
      for (var name in kept.values) {
        if (Object.prototype.hasOwnProperty.call(now, name) && now[name] !== kept.values[name]) differs = true;
      }
      if (!differs) {
        forget(); // the server already has it
        return;
      }
      var box = notice(form.getAttribute("data-restore-offer"));
      box.classList.add("pledge-restore");
      var restore = document.createElement("button");
      restore.type = "button";
      restore.textContent = form.getAttribute("data-restore");
      var discard = document.createElement("button");
      discard.type = "button";
      discard.textContent = form.getAttribute("data-discard");
      box.appendChild(restore);
      box.appendChild(document.createTextNode(" "));
      box.appendChild(discard);
      restore.addEventListener("click", function () {
        var list = fields();
        for (var i = 0; i < list.length; i++) {
          if (Object.prototype.hasOwnProperty.call(kept.values, list[i].name)) list[i].value = kept.values[list[i].name];
        }
        box.parentNode.removeChild(box);
        changed();
      });
      discard.addEventListener("click", function () {
        forget();
        box.parentNode.removeChild(box);
      });
    }

    function schedule() {
      dirty = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(save, DELAY);
    }

    function changed() {
      edits += 1;
      remember();
      schedule();
    }

    offerRestore();
    // An offline edit the outbox could not save (changed elsewhere meanwhile): the restore
    // offer above has its text (localStorage), so the outbox lets it go.
    if (window.ChiBoOutbox) {
      window.ChiBoOutbox.outbox.all().then(function (items) {
        items.forEach(function (i) { if (i.key === outboxKey && i.error) unqueue(); });
      });
    }
    window.addEventListener("online", save);
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    function hidden(name, value) {
      var input = form.querySelector("input[type=hidden][name=" + name + "]");
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        form.appendChild(input);
      }
      input.value = value;
    }

    form.addEventListener("submit", function () {
      // The ordinary POST carries the text now; a late autosave must not race it.
      stopped = true;
      window.clearTimeout(timer);
      var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
      if (csrf) csrf.value = csrfToken(form);
      // An autosave of this page may still be in flight: its token and a newer counter let
      // this POST through the version check instead of a false "changed in another tab".
      // (The form's idempotency key is left as rendered: the same POST sent again is answered.)
      seq += 1;
      hidden("client_token", token);
      hidden("client_seq", String(seq));
    });
    function leaving() {
      // The newest text goes now, even with a save in flight (the server knows this page's
      // token); keepalive lets it finish after the page is gone.
      if (dirty && !stopped) {
        window.clearTimeout(timer);
        send(true);
      }
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
