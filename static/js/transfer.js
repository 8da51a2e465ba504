// The sale page while its transfer is awaited: ask the shop every 3 seconds whether the
// money has arrived (the bank's feed confirms it, or a cashier did on another phone). When
// it has, say "Money received" in place of the QR code with a short beep, then show the
// page afresh (who or what confirmed it). The page works without this file: the cashier
// taps "The money has arrived" herself.
"use strict";

(function () {
  var card = document.querySelector("[data-follow-transfer]");
  if (!card) { return; }
  var url = card.getAttribute("data-follow-transfer");
  var EVERY = 3000;
  var audio = null;
  var done = false;

  // Browsers let a page make sound only after a tap on it: the context is made (or woken)
  // on her first tap, and tried again when the money arrives.
  function wakeAudio() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!audio && Context) { audio = new Context(); }
      if (audio && audio.state === "suspended") { audio.resume(); }
    } catch (error) { audio = null; }
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, wakeAudio, { passive: true });
  });

  // Two short rising tones, as a bank app's "money received".
  function beep() {
    wakeAudio();
    if (!audio) { return; }
    var start = audio.currentTime + 0.02;
    [[880, 0], [1320, 0.18]].forEach(function (tone) {
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      var at = start + tone[1];
      oscillator.type = "sine";
      oscillator.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.18);
    });
    document.body.setAttribute("data-sound", audio.state);
  }

  function line(text, className, testid) {
    var p = document.createElement("p");
    if (className) { p.className = className; }
    if (testid) { p.setAttribute("data-testid", testid); }
    p.textContent = text;
    return p;
  }

  function arrived(sale) {
    done = true;
    var transfer = sale.transfer || {};
    var who = transfer.confirmed_by === "bank"
      ? card.getAttribute("data-by-bank")
      : (transfer.confirmed_by_name
        ? card.getAttribute("data-by-member").replace("%(name)s", transfer.confirmed_by_name)
        : "");
    card.classList.remove("qr");
    card.classList.add("done");
    card.setAttribute("role", "status");
    while (card.firstChild) { card.removeChild(card.firstChild); }
    card.appendChild(line(card.getAttribute("data-arrived"), "transfer-arrived", "transfer-arrived"));
    if (who) { card.appendChild(line(who, "muted")); }
    beep();
    window.setTimeout(function () { window.location.reload(); }, 4000);
  }

  function look() {
    if (done) { return; }
    if (document.hidden) { window.setTimeout(look, EVERY); return; }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (sale) {
        if (sale.status === "voided") { done = true; window.location.reload(); return; }
        if (sale.status === "complete") { arrived(sale); return; }
        window.setTimeout(look, EVERY);
      })
      .catch(function () { window.setTimeout(look, EVERY * 2); });  // no link: try again
  }

  window.setTimeout(look, EVERY);
})();
