// Forum topic page: background posting, live posts, typing and presence, catch-up on reconnect.
// Progressive enhancement only: without this file the page works by plain form POSTs.
(function () {
  "use strict";

  function start() {
    var list = document.querySelector("[data-forum-topic]");
    if (!list) return;
    var topicId = list.getAttribute("data-forum-topic");
    var me = parseInt(list.getAttribute("data-user-id"), 10);
    var moderator = list.hasAttribute("data-moderator");
    var live = list.hasAttribute("data-live");
    var lastId = parseInt(list.getAttribute("data-last-id"), 10) || 0;
    var form = document.querySelector("[data-reply-form]");
    var body = form ? form.querySelector("textarea[name=body]") : null;
    var errors = form ? form.querySelector("[data-reply-errors]") : null;
    var typingBox = document.querySelector("[data-typing]");
    var presenceBox = document.querySelector("[data-presence]");
    var socket = null;
    var attempt = 0;
    var typingTimers = {};
    var typingNames = {};

    function label(name) { return list.getAttribute("data-" + name + "-label") || ""; }

    function el(tag, cls, text) {
      var node = document.createElement(tag);
      if (cls) node.className = cls;
      if (text) node.textContent = text;
      return node;
    }

    function timeText(iso) {
      var d = new Date(iso);
      function two(n) { return (n < 10 ? "0" : "") + n; }
      return two(d.getHours()) + ":" + two(d.getMinutes()) + " " + two(d.getDate()) + "/" + two(d.getMonth() + 1) + "/" + d.getFullYear();
    }

    function renderPost(ev) {
      var article = el("article", "post post-" + ev.kind + (ev.hidden ? " is-hidden" : ""));
      article.id = "p" + ev.id;
      article.setAttribute("data-post-id", ev.id);
      var head = el("header", "post-head");
      head.appendChild(el("strong", "", ev.author));
      var time = el("time", "post-time", ev.time || timeText(ev.created_at));
      time.setAttribute("datetime", ev.created_at);
      head.appendChild(document.createTextNode(" "));
      head.appendChild(time);
      article.appendChild(head);
      var content = el("div", "post-body");
      content.innerHTML = ev.html; // cleaned once on the server (core.markup) before it was stored
      article.appendChild(content);
      var foot = el("footer", "post-actions");
      var count = el("span", "", String(ev.agree_count || 0));
      count.setAttribute("data-agree-count", "");
      foot.appendChild(document.createTextNode("👍 " + label("agree") + " "));
      foot.appendChild(count);
      article.appendChild(foot);
      return article;
    }

    function onEvent(ev) {
      var existing = ev.id ? document.getElementById("p" + ev.id) : null;
      if (ev.type === "post.created") {
        if (ev.id > lastId) lastId = ev.id;
        if (existing) return;
        if (!live) { showNotice(); return; }
        list.appendChild(renderPost(ev));
        clearTyping(ev.author_id);
      } else if (ev.type === "post.edited" && existing) {
        existing.querySelector(".post-body").innerHTML = ev.html;
      } else if (ev.type === "post.hidden" && existing) {
        if (moderator || ev.author_id === me) existing.classList.add("is-hidden");
        else existing.remove();
      } else if (ev.type === "reaction" && existing) {
        var c = existing.querySelector("[data-agree-count]");
        if (c) c.textContent = String(ev.count);
      } else if (ev.type === "typing" && ev.user_id !== me) {
        showTyping(ev.user_id, ev.name, ev.ttl || 6);
      } else if (ev.type === "presence" && presenceBox) {
        presenceBox.textContent = ev.viewers && ev.viewers.length ? label("viewing") + " " + ev.viewers.join(", ") : "";
      } else if (ev.type === "topic.state" && (ev.locked || ev.state === "concluded") && form) {
        window.location.reload();
      }
    }

    function showNotice() {
      if (document.querySelector("[data-new-posts]")) return;
      var note = el("p", "card new-posts", label("new"));
      note.setAttribute("data-new-posts", "");
      list.parentNode.insertBefore(note, list.nextSibling);
    }

    function renderTyping() {
      if (!typingBox) return;
      var names = [];
      for (var k in typingNames) if (typingNames.hasOwnProperty(k)) names.push(typingNames[k]);
      typingBox.textContent = names.length ? names.join(", ") + " " + label("typing") : "";
    }
    function showTyping(id, name, ttl) {
      typingNames[id] = name;
      window.clearTimeout(typingTimers[id]);
      typingTimers[id] = window.setTimeout(function () { clearTyping(id); }, ttl * 1000);
      renderTyping();
    }
    function clearTyping(id) { delete typingNames[id]; renderTyping(); }

    function send(obj) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(obj)); }

    function connect() {
      if (!("WebSocket" in window)) return;
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      // Every (re)connect asks for what came after the last post we have: nothing is lost.
      socket = new WebSocket(scheme + window.location.host + "/ws/forum/topics/" + topicId + "/?after=" + lastId);
      socket.onopen = function () { attempt = 0; };
      socket.onmessage = function (e) {
        var data;
        try { data = JSON.parse(e.data); } catch (err) { return; }
        onEvent(data);
      };
      socket.onclose = function (e) {
        if (e.code === 4401 || e.code === 4403 || e.code === 4404) return;
        var delay = Math.min(30000, 500 * Math.pow(2, attempt)) * (0.75 + Math.random() * 0.5);
        attempt += 1;
        window.setTimeout(connect, delay);
      };
    }
    connect();
    window.setInterval(function () { send({ type: "presence.ping" }); }, 45000);

    if (body) {
      var lastTyping = 0;
      body.addEventListener("input", function () {
        var now = Date.now();
        if (now - lastTyping > 2500) { lastTyping = now; send({ type: "typing" }); }
      });
    }

    document.addEventListener("click", function (e) {
      var link = e.target.closest ? e.target.closest("[data-quote]") : null;
      if (!link || !form) return;
      e.preventDefault();
      form.querySelector("input[name=quote]").value = link.getAttribute("data-quote");
      var note = form.querySelector("[data-quote-note]");
      if (note) { note.hidden = false; note.textContent = "↪ " + link.getAttribute("data-quote-author"); }
      body.focus();
    });

    // The reply's idempotency key (core.idempotency): resent unchanged by a retry or the
    // fallback below, replaced once the server has stored the reply.
    function newKey() {
      var input = form.querySelector("[data-idempotency-key]");
      if (!input) return;
      var bytes = new Uint8Array(18);
      if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
      else for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
      var text = "";
      for (var j = 0; j < bytes.length; j++) text += (bytes[j] < 16 ? "0" : "") + bytes[j].toString(16);
      input.value = text;
    }

    if (form && window.fetch && window.FormData) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var button = form.querySelector("button[type=submit]");
        button.disabled = true;
        fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: { "X-Requested-With": "fetch" }
        }).then(function (r) { return r.json(); }).then(function (data) {
          errors.textContent = "";
          if (data.ok) {
            newKey(); // the next reply is a new submission; this one is stored
            body.value = "";
            form.querySelector("input[name=quote]").value = "";
            var note = form.querySelector("[data-quote-note]");
            if (note) note.hidden = true;
            if (!live) window.location.href = "?post=" + data.id + "#p" + data.id;
          } else {
            (data.errors || []).forEach(function (msg) { errors.appendChild(el("li", "", msg)); });
          }
        }).catch(function () {
          // No answer in the background: fall back to the ordinary POST. It carries the same
          // idempotency key, so if the fetch did reach the server, the post is not stored twice.
          form.submit();
        }).then(function () { button.disabled = false; });
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
