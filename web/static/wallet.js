// minipay wallet: progressive enhancement only; every page works without
// this file. A form marked data-once disables its buttons once submitted,
// so a double click sends one request (the server's idempotency key is
// what guarantees money moves once; this only spares the second request).
"use strict";
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (!form.hasAttribute("data-once")) return;
  if (form.dataset.sent) { e.preventDefault(); return; }
  form.dataset.sent = "1";
  // Disabled after this event, so the clicked button's value still goes.
  setTimeout(function () {
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
  }, 0);
});
// A page restored from the back-forward cache gets its buttons back.
window.addEventListener("pageshow", function (e) {
  if (!e.persisted) return;
  document.querySelectorAll("form[data-once]").forEach(function (f) {
    delete f.dataset.sent;
    f.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
  });
});
// Live updates: a page whose changing parts are marked data-live listens
// to the user's event stream (/events, after the newest event the page
// was read with, data-after; the types it names are in data-events). After an event it fetches the page again and swaps
// in each data-live part by id, so balances, pending transfers and
// notifications change without a reload and no form being typed into is
// touched. Without the stream the page stays as loaded.
(function () {
  var types = (document.body.dataset.events || "").split(" ");
  if (!window.EventSource || !types[0] || !document.querySelector("[data-live][id]")) return;
  var busy = false, again = false, leaving = false;
  function refresh() {
    if (leaving) return;
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: "same-origin" }).then(function (r) {
      return r.ok && !r.redirected ? r.text() : "";
    }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, "text/html");
      document.querySelectorAll("[data-live][id]").forEach(function (el) {
        var next = fresh.getElementById(el.id);
        if (next && next.outerHTML !== el.outerHTML) el.replaceWith(document.importNode(next, true));
      });
    }).catch(function () { /* the next event tries again */ }).then(function () {
      busy = false;
      if (again) { again = false; refresh(); }
    });
  }
  var stream = new EventSource("/events?after=" + encodeURIComponent(document.body.dataset.after || "0"));
  types.forEach(function (t) { stream.addEventListener(t, refresh); });
  // The body says whether the page is live (for a style, and for tests).
  stream.onopen = function () { document.body.dataset.stream = "open"; };
  stream.onerror = function () { document.body.dataset.stream = "down"; };
  window.addEventListener("pagehide", function () { stream.close(); });
  // A form sent leaves the page: it stops listening and fetching, so no
  // fetch of its own (after the form's own event) takes the notice the
  // next page is to show, a cookie read once.
  document.addEventListener("submit", function (e) {
    if (e.defaultPrevented) return;
    leaving = true;
    stream.close();
    document.body.dataset.stream = "closed";
  });
})();
