// Loaded right after the scan box, before the counter's module (modules wait for the whole
// page): a scanner's codes typed in that moment are kept here instead of submitting the
// form, which would reload the page and lose them. The module takes them when it starts.
"use strict";
(function () {
  var form = document.getElementById("scan");
  var box = document.getElementById("code");
  window.earlyScans = [];
  function keep(event) {
    if (window.counterReady) { return; }
    event.preventDefault();
    if (box.value.trim()) { window.earlyScans.push(box.value); }
    box.value = "";
  }
  form.addEventListener("submit", keep);
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { keep(event); }
  });
})();
