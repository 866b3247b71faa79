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
