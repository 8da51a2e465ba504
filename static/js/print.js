// <button data-print>: prints the page (the receipt), as the browser's own Print does.
"use strict";
// On a roll (58 or 80 mm, static/css/receipt.css), the printed page is as long as the
// receipt: a rule added to the receipt's style sheet after the one there.
var rollRule = null;
function fitRollPage() {
  var paper = /paper-(58|80)/.exec(document.body.className);
  var receipt = document.querySelector("main.receipt");
  var sheet = Array.prototype.find.call(document.styleSheets, function (s) {
    return s.href && s.href.indexOf("receipt.css") !== -1;
  });
  if (!paper || !receipt || !sheet) { return; }
  var mm = Math.max(40, Math.ceil(receipt.getBoundingClientRect().height * 25.4 / 96) + 4);
  if (rollRule !== null) { sheet.deleteRule(rollRule); }
  rollRule = sheet.insertRule("@page roll" + paper[1] + " { size: " + paper[1] + "mm " + mm + "mm; margin: 0; }", sheet.cssRules.length);
}
window.addEventListener("load", fitRollPage);
window.addEventListener("beforeprint", fitRollPage);
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
