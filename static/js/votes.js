// The votes page, live: an open ballot's tally and every ballot's number of voters follow
// the topic socket's motion.* events. Voting itself is an ordinary form (no script needed).
(function () {
  "use strict";
  var root = document.querySelector("[data-votes]");
  if (!root || !window.ChiBo) return;
  var topic = root.getAttribute("data-votes");
  window.ChiBo.liveSocket("/ws/forum/topics/" + topic + "/", {
    onEvent: function (event) {
      if (!event.type || event.type.indexOf("motion.") !== 0) return;
      var box = root.querySelector('[data-motion="' + event.id + '"]');
      if (!box || event.type === "motion.opened" || event.type === "motion.closed") {
        var note = document.querySelector("[data-votes-changed]");
        if (!note) {
          note = document.createElement("p");
          note.className = "card";
          note.setAttribute("role", "status");
          note.setAttribute("data-votes-changed", "");
          var link = document.createElement("a");
          link.href = window.location.pathname;
          link.textContent = root.getAttribute("data-changed-label") || "↻";
          note.appendChild(link);
          root.parentNode.insertBefore(note, root);
        }
        if (!box) return;
      }
      var voted = box.querySelector("[data-voted]");
      if (voted && typeof event.voted === "number") voted.textContent = String(event.voted);
      if (event.counts) {
        for (var i = 0; i < event.counts.length; i++) {
          var cell = box.querySelector('[data-count="' + i + '"]');
          if (cell) cell.textContent = String(event.counts[i]);
        }
      }
    }
  });
})();
