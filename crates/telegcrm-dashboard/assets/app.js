// Telegcrm dashboard: keyboard shortcuts and live updates. Everything works without it.
(function () {
  "use strict";
  function items() { return Array.prototype.slice.call(document.querySelectorAll("#conversations > li.conv")); }
  function current() { var a = document.activeElement; return a && a.closest ? a.closest("#conversations > li.conv") : null; }
  function move(step) {
    var list = items(); if (!list.length) return;
    var at = list.indexOf(current());
    var next = list[Math.max(0, Math.min(list.length - 1, at < 0 ? 0 : at + step))];
    list.forEach(function (li) { li.classList.remove("selected"); });
    next.classList.add("selected");
    var link = next.querySelector("a.conv-link"); if (link) link.focus();
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target; var tag = t && t.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
    if (ev.key === "j") { move(1); ev.preventDefault(); }
    else if (ev.key === "k") { move(-1); ev.preventDefault(); }
    else if (ev.key === "/") {
      var box = document.querySelector("input[type=search]");
      if (box) { box.focus(); } else { window.location.href = "/search#focus"; }
      ev.preventDefault();
    } else if (ev.key === "e") {
      var li = current(); var form = li && li.querySelector("form.archive");
      if (form) { form.submit(); ev.preventDefault(); }
    }
  });
  // A picture Telegram could not give says so instead of showing a broken image.
  document.addEventListener("error", function (ev) {
    var img = ev.target;
    if (!img || img.tagName !== "IMG" || !img.classList.contains("file-image")) return;
    var note = document.createElement("span");
    note.className = "file-missing";
    note.textContent = "The picture could not be loaded from Telegram.";
    var link = img.closest("a");
    (link || img).replaceWith(note);
  }, true);
  // A form marked data-confirm asks first (deleting a message in Telegram cannot be undone).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var ask = form && form.getAttribute ? form.getAttribute("data-confirm") : null;
    if (ask && !window.confirm(ask)) ev.preventDefault();
  });
  // Canned replies: typing a shortcut ("/price") and then a space in the reply box puts the
  // reply, filled for this conversation, in its place. The replies are the page's own list
  // (#canned-replies, also usable without JavaScript through its links).
  document.addEventListener("input", function (ev) {
    var box = ev.target;
    if (!box || box.id !== "reply-text") return;
    var caret = box.selectionStart, before = box.value.slice(0, caret);
    var m = /(^|\s)\/([A-Za-z0-9_-]+)\s$/.exec(before);
    if (!m) return;
    var item = document.querySelector('#canned-replies li[data-shortcut="' + m[2].toLowerCase() + '"] .canned-text');
    if (!item) return;
    var start = caret - m[2].length - 2;
    box.value = box.value.slice(0, start) + item.textContent + box.value.slice(caret);
    var at = start + item.textContent.length;
    box.setSelectionRange(at, at);
  });
  // Selects and checkboxes in a form marked data-autosubmit submit it on change.
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    var form = t && t.closest ? t.closest("form[data-autosubmit]") : null;
    if (form && (t.tagName === "SELECT" || t.type === "checkbox")) form.submit();
  });
  function refresh(url, target, after) {
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } }).then(function (r) {
      if (!r.ok) return null; return r.text();
    }).then(function (html) {
      if (html === null || html === undefined) return;
      target.innerHTML = html;
      if (window.htmx) window.htmx.process(target);
      if (after) after();
    }).catch(function () {});
  }
  function scrollDown() { var tl = document.getElementById("timeline"); if (tl) tl.scrollTop = tl.scrollHeight; }
  window.addEventListener("DOMContentLoaded", function () {
    // A form shown again after a refused POST (e.g. a reply Telegram refused) keeps the page's own
    // address, so a reload shows the conversation instead of re-posting.
    var canon = document.querySelector("link[rel=canonical]");
    if (canon && window.history && window.history.replaceState) {
      var want = new URL(canon.href, window.location.href);
      if (want.pathname !== window.location.pathname) window.history.replaceState(null, "", want.pathname + window.location.hash);
    }
    var list = document.getElementById("conversations");
    var timeline = document.getElementById("timeline");
    scrollDown();
    if (window.location.hash === "#focus") { var box = document.querySelector("input[type=search]"); if (box) box.focus(); }
    else if (window.location.hash) { var m = document.getElementById(window.location.hash.slice(1)); if (m) m.scrollIntoView({ block: "center" }); }
    if (!window.EventSource || (!list && !timeline)) return;
    var conv = timeline ? timeline.getAttribute("data-conversation") : null;
    var es = new EventSource("/events" + (conv ? "?conversation=" + encodeURIComponent(conv) : ""));
    es.addEventListener("inbox", function () {
      if (list) refresh("/inbox/items" + window.location.search, list);
    });
    es.addEventListener("messages", function () {
      if (timeline && conv) refresh("/conversations/" + encodeURIComponent(conv) + "/latest", timeline, scrollDown);
    });
    document.body.setAttribute("data-live", "connected");
  });
})();
