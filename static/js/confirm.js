/* Ask once before an action that cannot be undone: a button, link or form carrying
   data-confirm="…" asks that question, and the action goes ahead only on 确定; with
   data-confirm-unchanged="selector" too, only while those fields are as the page came.
   No inline script (the Content-Security-Policy allows our own static files only). */
(function () {
  "use strict";
  // data-confirm-unchanged="selector": ask only while a field it names still holds the
  // text the page came with (a report that is still last month's copy).
  function unchanged(selector) {
    return Array.prototype.some.call(document.querySelectorAll(selector), function (field) {
      return field.value === field.defaultValue;
    });
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest("button[data-confirm], a[data-confirm], input[data-confirm]");
    var only = target && target.getAttribute("data-confirm-unchanged");
    if (only && !unchanged(only)) {
      return;
    }
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  }, true);
})();
