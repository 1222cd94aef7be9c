// The votes page, live: an open ballot's tally and every ballot's number of voters follow
// the topic socket's motion.* events. Voting itself is an ordinary form (no script needed).
(function () {
  "use strict";

  function changedNote(root) {
    if (document.querySelector("[data-votes-changed]")) return;
    var note = document.createElement("p");
    note.className = "card";
    note.setAttribute("role", "status");
    note.setAttribute("data-votes-changed", "");
    var link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = root.getAttribute("data-changed-label") || "↻";
    note.appendChild(link);
    root.parentNode.insertBefore(note, root);
  }

  function start() {
    var root = document.querySelector("[data-votes]");
    if (!root || !window.ChiBo) return;
    var topic = root.getAttribute("data-votes");
    window.ChiBo.liveSocket("/ws/forum/topics/" + topic + "/", {
      onOpen: function () { root.setAttribute("data-live", ""); },
      onEvent: function (event) {
        if (!event.type || event.type.indexOf("motion.") !== 0) return;
        var box = root.querySelector('[data-motion="' + event.id + '"]');
        // A new vote, or one closed (a secret ballot's counts): offer a reload.
        if (!box || event.type !== "motion.tally") changedNote(root);
        if (!box) return;
        var voted = box.querySelector("[data-voted]");
        if (voted && typeof event.voted === "number") voted.textContent = String(event.voted);
        var present = parseInt(root.getAttribute("data-present"), 10) || 0;
        (event.counts || []).forEach(function (count, i) {
          var cell = box.querySelector('[data-count="' + i + '"]');
          if (cell) cell.textContent = String(count);
          var share = box.querySelector('[data-share="' + i + '"]');
          // A share of those present, written as the page writes it (0,0% in Vietnamese).
          var text = (present ? (100 * count / present) : 0).toFixed(1) + "%";
          if (share) share.textContent = document.documentElement.lang === "vi" ? text.replace(".", ",") : text;
        });
      }
    });
  }

  // Deferred scripts run in order, this one before site.js (which defines ChiBo), and all
  // of them before DOMContentLoaded: start then.
  if (document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
