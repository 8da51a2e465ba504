// <button data-print>: prints the page (the receipt), as the browser's own Print does.
"use strict";
// On a roll (58 or 80 mm), the printed page is as long as the receipt.
function fitRollPage() {
  var style = document.getElementById("roll-page");
  var receipt = document.querySelector("main.receipt");
  if (!style || !receipt) { return; }
  var mm = Math.ceil(receipt.getBoundingClientRect().height * 25.4 / 96) + 4;
  style.textContent = "@page { size: " + style.getAttribute("data-paper-mm") + "mm " +
    Math.max(mm, 40) + "mm; margin: 0; }";
}
window.addEventListener("load", fitRollPage);
window.addEventListener("beforeprint", fitRollPage);
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
