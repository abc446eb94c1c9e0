// 立项 (issue 12): when the source or urgency changes, propose the deadline and the reporting
// rhythm the settings give for it (the server computes every proposal in working days).
(function () {
  "use strict";
  var source = document.getElementById("id_source");
  var urgency = document.getElementById("id_urgency");
  var due = document.getElementById("id_due_date");
  var rhythm = document.getElementById("id_rhythm");
  if (!source || !due || !source.dataset.defaults) { return; }
  var proposals = JSON.parse(source.dataset.defaults);
  function propose() {
    var key = source.value + ":" + (urgency ? urgency.value : "");
    var found = proposals[key];
    if (!found) { return; }
    due.value = found[0];
    if (rhythm && found[1]) { rhythm.value = found[1]; }
  }
  source.addEventListener("change", propose);
  if (urgency) { urgency.addEventListener("change", propose); }
})();
