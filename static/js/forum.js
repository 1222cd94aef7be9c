// Forum topic page: background posting, live posts (rendered by the server per reader), typing and
// presence; a gap in the topic's change numbers or the half-minute head check fetches what was missed.
// Progressive enhancement only: without this file the page works by plain form POSTs.
(function () {
  "use strict";

  function start() {
    var list = document.querySelector("[data-forum-topic]");
    if (!list) return;
    var topicId = list.getAttribute("data-forum-topic");
    var me = parseInt(list.getAttribute("data-user-id"), 10);
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

    // Every change to the topic's posts has a number (the topic's `seq`), with no gaps.
    // `known`: we have every change up to it. A number seen beyond it waits in `ahead`; if
    // the gap is still there a moment later (events from two server processes can cross)
    // we ask for what we lack, and every half minute we ask anyway, because the lost event
    // may be the last one. The answer ends with the head, up to which we then have it all.
    var known = parseInt(list.getAttribute("data-seq"), 10) || 0;
    var ahead = {};
    var versions = {}; // post id -> change number of what we show (or removed)
    var gapTimer = null;
    var pageLastId = lastId;

    function advance() {
      while (ahead[known + 1]) { delete ahead[known + 1]; known += 1; }
      for (var k in ahead) if (ahead.hasOwnProperty(k) && +k <= known) delete ahead[k];
    }
    function hasGap() {
      for (var k in ahead) if (ahead.hasOwnProperty(k)) return true;
      return false;
    }
    function sync() { send({ type: "sync", after: known }); }
    function noteSeq(seq) {
      if (!seq) return;
      if (seq > known) ahead[seq] = true;
      advance();
      if (hasGap() && !gapTimer) {
        gapTimer = window.setTimeout(function () { gapTimer = null; if (hasGap()) sync(); }, 1000);
      }
    }

    function shownVersion(id) {
      if (versions.hasOwnProperty(id)) return versions[id];
      var node = document.getElementById("p" + id);
      return node ? parseInt(node.getAttribute("data-seq"), 10) || 0 : 0;
    }

    // The server renders the post as this reader's page would (forum.rendering): the stored
    // HTML was cleaned once when written (core.markup), every other value is escaped.
    function parseArticle(html) {
      var holder = document.createElement("template");
      holder.innerHTML = html;
      var node = holder.content.firstElementChild;
      var token = document.querySelector("input[name=csrfmiddlewaretoken]");
      var inputs = node.querySelectorAll("input[name=csrfmiddlewaretoken]");
      for (var i = 0; i < inputs.length; i++) inputs[i].value = token ? token.value : "";
      return node;
    }

    // In id order among this page's posts; a post of an earlier page is not ours to show.
    function place(node, id) {
      var posts = list.querySelectorAll("[data-post-id]");
      if (posts.length && id < parseInt(posts[0].getAttribute("data-post-id"), 10)) return false;
      for (var i = 0; i < posts.length; i++) {
        if (parseInt(posts[i].getAttribute("data-post-id"), 10) > id) { list.insertBefore(node, posts[i]); return true; }
      }
      var empty = list.querySelector(":scope > p");
      if (empty) empty.remove();
      list.appendChild(node);
      return true;
    }

    function onPost(ev) {
      var id = ev.id;
      var existing = document.getElementById("p" + id);
      if (ev.type === "post.created" && id > lastId) lastId = id;
      if (ev.article) {
        var node = parseArticle(ev.article);
        var version = parseInt(node.getAttribute("data-seq"), 10) || ev.seq || 0;
        if (version > shownVersion(id)) {
          if (existing) {
            existing.parentNode.replaceChild(node, existing);
            versions[id] = version;
          } else if (!live) {
            if (ev.type === "post.created" && id > pageLastId) showNotice();
          } else if (place(node, id)) {
            versions[id] = version;
            clearTyping(ev.author_id);
          }
        }
      } else if (ev.type === "post.hidden") {
        if (existing) existing.remove(); // a hidden post this reader may not see
        versions[id] = Math.max(shownVersion(id), ev.seq || 0);
      }
      noteSeq(ev.seq);
    }

    function onEvent(ev) {
      var existing = ev.id ? document.getElementById("p" + ev.id) : null;
      if (ev.type === "post.created" || ev.type === "post.edited" || ev.type === "post.hidden") {
        onPost(ev);
      } else if (ev.type === "head") {
        if (ev.seq > known) known = ev.seq;
        advance();
        if (ev.more) sync();
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
      // Every (re)connect asks for every change after the last one we have: nothing is lost.
      socket = new WebSocket(scheme + window.location.host + "/ws/forum/topics/" + topicId + "/?after_seq=" + known);
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
    window.setInterval(sync, 30000); // the head check: the last change's event may be the lost one

    if (body) {
      var lastTyping = 0;
      body.addEventListener("input", function () {
        var now = Date.now();
        if (now - lastTyping > 2500) { lastTyping = now; send({ type: "typing" }); }
      });
      // The first "@" loads the member suggestions (mention.js), so no page pays for them before.
      body.addEventListener("input", function mention() {
        if (body.value.indexOf("@") < 0 || !form.hasAttribute("data-mention-src")) return;
        body.removeEventListener("input", mention);
        var script = el("script");
        script.src = form.getAttribute("data-mention-src");
        document.head.appendChild(script);
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

    // --- Outbox (static/js/site.js): a reply sent with no network waits on this device and
    // goes, with its own idempotency key, once the network is back (Background Sync, the
    // `online` event or the next load of any page). The server stores one post per key, so a
    // resend is never a second post. A reply refused meanwhile (the topic closed) comes back
    // here with the reason and its text.
    // (outbox.js may run after this file: look it up when needed.)
    function boxes() { return window.ChiBoOutbox || null; }
    var outboxBox = null;
    function showOutbox() {
      if (!boxes()) return;
      boxes().outbox.all().then(function (items) {
        items = items.filter(function (i) { return i.kind === "reply" && String(i.topic) === String(topicId) && boxes().mine(i); });
        if (!outboxBox) {
          if (!items.length) return;
          outboxBox = el("div", "card outbox");
          outboxBox.setAttribute("role", "status");
          outboxBox.setAttribute("data-outbox", "");
          (form || list).parentNode.insertBefore(outboxBox, form || list.nextSibling);
        }
        outboxBox.textContent = "";
        items.forEach(function (item) {
          var row = el("div", item.error ? "outbox-refused" : "outbox-waiting");
          row.appendChild(el("p", "", item.error ? label("outbox-refused") + " " + (item.error === "?" ? label("outbox-failed") : item.error) : label("outbox-waiting")));
          var text = el("textarea", "");
          text.readOnly = true;
          text.rows = 4;
          text.value = item.text;
          text.setAttribute("aria-label", label("outbox-text"));
          row.appendChild(text);
          if (item.error) {
            var dismiss = el("button", "link-button", label("outbox-dismiss"));
            dismiss.type = "button";
            dismiss.addEventListener("click", function () { boxes().outbox.remove(item.key).then(showOutbox); });
            row.appendChild(dismiss);
          }
          outboxBox.appendChild(row);
        });
        outboxBox.hidden = !items.length;
      });
    }
    document.addEventListener("chibo:outbox", function (e) {
      showOutbox();
      if ((e.detail || []).some(function (d) { return d[0] === "sent" && String(d[1].topic) === String(topicId); })) sync();
    });

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
            // The author's own post arrives by its event; if that event was lost, ask now
            // rather than at the next half-minute head check.
            else window.setTimeout(function () { if (!document.getElementById("p" + data.id)) sync(); }, 1000);
          } else {
            (data.errors || []).forEach(function (msg) { errors.appendChild(el("li", "", msg)); });
          }
        }).catch(function () {
          if (navigator.onLine === false && boxes()) {
            // No network at all: keep the reply in the outbox; it goes when the network is back.
            var fields = [];
            new FormData(form).forEach(function (value, name) { fields.push([name, value]); });
            var key = form.querySelector("[data-idempotency-key]");
            boxes().queue({
              key: "reply:" + (key ? key.value : String(Date.now())), kind: "reply", url: form.action,
              page: window.location.pathname, topic: topicId, text: body.value, fields: fields
            }).then(showOutbox);
            newKey();
            body.value = "";
            return;
          }
          // No answer in the background: fall back to the ordinary POST. It carries the same
          // idempotency key, so if the fetch did reach the server, the post is not stored twice.
          form.submit();
        }).then(function () { button.disabled = false; });
      });
    }
    if (document.readyState === "complete") showOutbox();
    else window.addEventListener("load", showOutbox);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
