// Chi bộ số – study modules: read aloud, mark read at the end, submit a quiz once.
// Progressive enhancement only: every flow works without this file.
(function () {
  "use strict";

  // --- Read aloud (speechSynthesis), only where the browser has a Vietnamese voice ---
  function vietnameseVoice() {
    if (!("speechSynthesis" in window)) return null;
    var voices = window.speechSynthesis.getVoices();
    for (var i = 0; i < voices.length; i++) {
      if ((voices[i].lang || "").toLowerCase().replace("_", "-").indexOf("vi") === 0) return voices[i];
    }
    return null;
  }

  function setupReadAloud() {
    var box = document.querySelector("[data-read-aloud]");
    var body = document.querySelector("[data-lesson-body]");
    if (!box || !body || !("speechSynthesis" in window)) return;
    var start = box.querySelector("[data-read-aloud-start]");
    var stop = box.querySelector("[data-read-aloud-stop]");
    function refresh() {
      box.hidden = !vietnameseVoice();
    }
    refresh();
    window.speechSynthesis.onvoiceschanged = refresh;
    start.addEventListener("click", function () {
      var voice = vietnameseVoice();
      if (!voice) return;
      window.speechSynthesis.cancel();
      // Long texts are cut by some engines: speak paragraph-sized pieces in turn.
      var title = document.querySelector("h1");
      var parts = [title ? title.textContent : ""];
      var blocks = body.querySelectorAll("p, li, blockquote, pre, h2, h3");
      for (var b = 0; b < blocks.length; b++) parts.push(blocks[b].textContent);
      if (blocks.length === 0) parts.push(body.textContent);
      for (var i = 0; i < parts.length; i++) {
        if (!parts[i].trim()) continue;
        var u = new SpeechSynthesisUtterance(parts[i]);
        u.voice = voice;
        u.lang = voice.lang;
        u.rate = 0.95;
        if (i === parts.length - 1) u.onend = function () { stop.hidden = true; start.hidden = false; };
        window.speechSynthesis.speak(u);
      }
      start.hidden = true;
      stop.hidden = false;
    });
    stop.addEventListener("click", function () {
      window.speechSynthesis.cancel();
      stop.hidden = true;
      start.hidden = false;
    });
  }

  // --- A lesson counts as read when the member reaches its end ---
  function setupReadAtEnd() {
    var end = document.querySelector("[data-lesson-end]");
    var form = document.querySelector("[data-mark-read]");
    if (!end || !form || !("IntersectionObserver" in window) || !window.fetch) return;
    var sent = false;
    var observer = new IntersectionObserver(function (entries) {
      if (sent || !entries[0].isIntersecting) return;
      sent = true;
      observer.disconnect();
      var data = new FormData(form);
      data.delete("next");
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (count) {
          var el = document.querySelector("[data-read-count]");
          if (count !== null && el) el.textContent = count;
        });
    });
    // Wait a little so a quick scroll past does not count as reading.
    window.setTimeout(function () { observer.observe(end); }, 4000);
  }

  function csrfToken(form) {
    // Read the cookie at submit time: logging in again in another tab rotates the token,
    // and the one printed in a quiz opened earlier would be refused (answers lost).
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- Submit the quiz once, even on a double tap, with a fresh CSRF token ---
  function setupSubmitOnce() {
    var forms = document.querySelectorAll("[data-quiz]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", function (e) {
        var form = e.target;
        if (form.getAttribute("data-sent")) { e.preventDefault(); return; }
        form.setAttribute("data-sent", "1");
        var token = form.querySelector("input[name=csrfmiddlewaretoken]");
        if (token) token.value = csrfToken(form);
        var button = form.querySelector("[data-submit-once]");
        if (button) window.setTimeout(function () { button.disabled = true; }, 0);
      });
    }
  }

  // --- Each choice is stored on the server as it changes; resent when the connection is back ---
  function setupAutosave() {
    var form = document.querySelector("[data-quiz][data-save-url]");
    if (!form || !window.fetch || !window.FormData) return;
    var status = form.querySelector("[data-save-status]");
    var busy = false;
    var pending = false;
    function send() {
      if (busy) { pending = true; return; }
      busy = true;
      pending = false;
      var data = new FormData(form);
      data.set("csrfmiddlewaretoken", csrfToken(form));
      fetch(form.getAttribute("data-save-url"), {
        method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
      }).then(function (r) {
        if (r.status === 204) status.textContent = form.getAttribute("data-saved");
        else if (r.status === 400) return r.text().then(function (t) { status.textContent = t; });
      }, function () {
        pending = true; // offline: try again once the connection is back
        status.textContent = form.getAttribute("data-unsaved");
      }).then(function () {
        busy = false;
        if (pending && navigator.onLine !== false) send();
      });
    }
    form.addEventListener("change", send);
    window.addEventListener("online", function () { if (pending) send(); });
  }

  function init() {
    setupReadAloud();
    setupReadAtEnd();
    setupSubmitOnce();
    setupAutosave();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
