/* A page's 打印 button (#print-button): the browser's print dialog, A4 by app.css. */
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
})();
