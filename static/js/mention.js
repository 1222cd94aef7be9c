// "@" in the reply box, the new-topic page or the edit page offers the cell's active members by
// name (the form's data-mention-url); choosing one writes @login. The topic page loads it on the first
// "@" typed (forum.js); the new-topic and edit pages load it deferred, and it asks for the list
// on the first "@". Without it, typing @login by hand works the same.
(function () {
  "use strict";
  var form = document.querySelector("[data-mention-url]");
  var box = form && form.querySelector("textarea[name=body]");
  if (!box || box.hasAttribute("aria-autocomplete")) return;
  var members = null, shown = [], active = -1, start = -1;
  var list = document.createElement("ul");
  list.id = "mention-list";
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", form.getAttribute("data-mention-label"));
  list.hidden = true;
  var s = list.style;
  s.listStyle = "none"; s.margin = "0"; s.padding = "0"; s.border = "1px solid #767676"; s.background = "#fff";
  s.maxWidth = "100%"; s.maxHeight = "16rem"; s.overflowY = "auto";
  box.parentNode.insertBefore(list, box.nextSibling);
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", list.id);
  box.setAttribute("aria-expanded", "false");

  function fold(t) { return t.toLowerCase().replace(/đ/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, ""); }

  function close() {
    list.hidden = true; list.textContent = ""; shown = []; active = -1;
    box.removeAttribute("aria-activedescendant"); box.setAttribute("aria-expanded", "false");
  }

  function move(i) {
    active = (i + shown.length) % shown.length;
    for (var j = 0; j < list.children.length; j++) {
      var li = list.children[j], on = j === active;
      li.setAttribute("aria-selected", on ? "true" : "false");
      li.style.background = on ? "#8b0000" : ""; li.style.color = on ? "#fff" : "";
      if (on && li.scrollIntoView) li.scrollIntoView({ block: "nearest" });
    }
    box.setAttribute("aria-activedescendant", "mention-" + active);
  }

  function choose(i) {
    var m = shown[i], end = box.selectionEnd, text = "@" + m[0] + " ";
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.selectionStart = box.selectionEnd = start + text.length;
    close();
    box.focus();
  }

  function render(q) {
    shown = members.filter(function (m) {
      return (" " + fold(m[1])).indexOf(" " + q) >= 0 || m[0].toLowerCase().indexOf(q) === 0;
    }).slice(0, 8);
    if (!shown.length) return close();
    list.textContent = "";
    shown.forEach(function (m, i) {
      var li = document.createElement("li");
      li.id = "mention-" + i;
      li.setAttribute("role", "option");
      li.textContent = m[1];
      li.style.padding = "0.6rem 0.75rem"; li.style.cursor = "pointer";
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    move(0);
  }

  function update() {
    var upto = box.value.slice(0, box.selectionEnd), m = /(^|[\s(])@([^\s@]{0,30})$/.exec(upto);
    if (!m) return close();
    start = upto.length - m[2].length - 1;
    if (members) return render(fold(m[2]));
    if (members === null) {
      members = false; // asked once
      fetch(form.getAttribute("data-mention-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { members: [] }; })
        .then(function (d) { members = d.members || []; update(); })
        .catch(function () { members = null; });
    }
  }

  box.addEventListener("input", update);
  box.addEventListener("click", update);
  box.addEventListener("blur", function () { window.setTimeout(close, 200); });
  box.addEventListener("keydown", function (e) {
    if (list.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); move(active + (e.key === "ArrowDown" ? 1 : -1)); }
    else if (e.key === "Enter") { e.preventDefault(); choose(active); }
    else if (e.key === "Escape") { e.preventDefault(); close(); }
  });
  update();
})();
