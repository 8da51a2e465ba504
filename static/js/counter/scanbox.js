// The scan box, as the counter and the stocktake use it: a USB scanner types a code and
// Enter (so does a member typing it); each code is taken at once, synchronously, so the next
// one typed right behind it lands in an empty box. The box keeps the focus except while she
// types in another field. A short beep says yes or no without looking.

let audio = null;

export function beep(ok) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = ok ? "sine" : "square";
    osc.frequency.value = ok ? 1320 : 220;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + (ok ? 0.08 : 0.35));
  } catch (error) { /* no sound on this device */ }
}

// The sound context, for a page that plays more than a beep (the counter's chime).
export function audioContext() {
  audio = audio || new (window.AudioContext || window.webkitAudioContext)();
  return audio;
}

// An id made on the device for what it sends (a sale, a scan), so that sending it again
// records it once. crypto.randomUUID needs HTTPS, which a shop's own server may not have.
export function clientId(prefix) {
  const random = crypto.getRandomValues(new Uint8Array(8));
  const hex = Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${prefix}-${Date.now().toString(36)}-${hex}`;
}

// Take each code typed into ``box`` (Enter, or the form's button) to ``onScan(text)``.
// Returns the codes a scanner typed before the page's module ran (early.js kept them)
// and ``refocus``, to give the box the focus back after a tap elsewhere.
export function attachScanBox(form, box, onScan) {
  function take(event) {
    event.preventDefault();
    const value = box.value;
    box.value = "";
    onScan(value);
  }
  form.addEventListener("submit", take);
  box.addEventListener("keydown", (event) => { if (event.key === "Enter") { take(event); } });

  function refocus() {
    const active = document.activeElement;
    if (active && active !== box && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) &&
        active.type !== "radio" && active.type !== "checkbox") { return; }
    box.focus({ preventScroll: true });
  }
  box.addEventListener("blur", () => setTimeout(refocus, 0));
  document.addEventListener("click", () => setTimeout(refocus, 0));

  window.counterReady = true;
  return { early: [...(window.earlyScans || [])], refocus };
}
