/* Ask once before an action that cannot be undone: a button, link or form carrying
   data-confirm="…" asks that question, and the action goes ahead only on 确定.
   No inline script (the Content-Security-Policy allows our own static files only). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest("button[data-confirm], a[data-confirm], input[data-confirm]");
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
