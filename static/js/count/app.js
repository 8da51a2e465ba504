// The stocktake's scanning page (Kiểm kê): any member's phone counts the rail into the open
// count. A scan is shown at once in "what this phone counted", kept in this phone's
// IndexedDB (a reload or a power cut loses nothing) and sent in batches to the API whenever
// there is a link, again and again with a growing pause while there is none; each scan has
// its own id made here, so one sent twice is counted once. Scanning never waits for the
// server. A lot asks for its pieces: at once when the counter's copy of the rail on this
// phone knows it is a lot, else when the server refuses the scan for want of them.
import { createApi } from "../counter/net.js";
import { attachScanBox, beep, clientId } from "../counter/scanbox.js";
import { el } from "../counter/dom.js";
import * as counterStore from "../counter/store.js";
import { makeStore } from "../counter/store.js";

const TEXT = JSON.parse(document.getElementById("count-text").textContent);
const CONFIG = JSON.parse(document.getElementById("count-config").textContent);
const $ = (id) => document.getElementById(id);

function say(key, values = {}) {
  return TEXT[key].replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
}

// ------------------------------------------------------------------ state

// Every scan of this count by this member on this phone, by its id. An entry's state:
//   pieces     a lot waiting for the number of pieces (not sent yet);
//   waiting    to be sent (again, if a try got no answer);
//   sent       the server has it;
//   refused    the server answered no (its words in ``message``);
//   withdrawn  taken back (on the server too, if it had it).
// ``withdraw``: she took it back and the server has not been told yet.
const scans = new Map();
const shown = new Map(); // client id → its <li>
const rail = new Map(); // code → {name, is_lot}: the counter's copy, if this phone has one
const inFlight = new Set();
let link = "connecting"; // connecting | online | offline
// This page is the copy the service worker kept on this phone (there was no link when it
// was opened): the worker marks it so.
const fromCopy = Boolean(document.querySelector('meta[name="kept-copy"]'));
let signedOut = false;
let closed = !CONFIG.open;
let sequence = 0;

const db = makeStore("shop-count", 1, (database) => {
  database.createObjectStore("scans", { keyPath: "client_id" });
}, { durability: "strict" });

const api = createApi({
  csrfUrl: CONFIG.urls.csrf,
  csrfToken: CONFIG.csrf_token,
  timeoutMs: 15000,
  onOnline: () => setLink("online"),
  onSignedOut: () => { signedOut = true; showLink(); },
});

// Keep the scan on the phone; once the first write is on the disk its line says so
// (data-kept), which is when a closed tab or a power cut can no longer lose it.
function keep(entry) {
  return db.put("scans", entry).then(() => {
    if (!entry.kept) {
      entry.kept = true;
      const row = shown.get(entry.client_id);
      if (row) { row.setAttribute("data-kept", "yes"); }
    }
  }).catch(() => { /* a browser without IndexedDB: kept while open */ });
}

// ------------------------------------------------------------------ scanning

const codeBox = $("code");

function scanMessage(text, ok) {
  const box = $("scan-message");
  box.textContent = text;
  box.className = "scan-message " + (ok ? "ok" : "error");
}

function liveScanOf(code) {
  for (const entry of scans.values()) {
    if (entry.code === code && entry.state !== "withdrawn" && entry.state !== "refused" && !entry.withdraw) {
      return entry;
    }
  }
  return null;
}

function scan(raw) {
  const code = raw.trim();
  if (!code) { return; }
  if (closed) { beep(false); scanMessage(TEXT.closed, false); return; }
  const known = rail.get(code);
  const earlier = liveScanOf(code);
  const isLot = known ? known.is_lot : Boolean(earlier && earlier.is_lot);
  if (earlier && !isLot) {
    // A single item counts once: a second scan on this phone adds nothing.
    beep(false);
    scanMessage(say("already", { code }), false);
    return;
  }
  const entry = {
    client_id: clientId("count"),
    count: CONFIG.count,
    member: CONFIG.member,
    code,
    pieces: null,
    scanned_at: new Date().toISOString(),
    seq: Date.now() * 1000 + (sequence++ % 1000),
    state: isLot ? "pieces" : "waiting",
    name: known ? known.name : (earlier ? earlier.name : ""),
    is_lot: isLot,
    tries: 0,
    withdraw: false,
  };
  scans.set(entry.client_id, entry);
  keep(entry);
  beep(true);
  scanMessage(known || earlier || !rail.size ? say("counted", { code }) : say("not_on_copy", { code }), true);
  render(entry);
  if (entry.state === "pieces") { askPieces(); } else { scheduleSend(300); }
}

const scanBox = attachScanBox($("scan"), codeBox, scan);

// ------------------------------------------------------------------ a lot's pieces

let asking = null; // the entry whose pieces the form asks for

function askPieces() {
  const form = $("pieces");
  if (asking && scans.get(asking.client_id) === asking && asking.state === "pieces" && !asking.withdraw) {
    return;
  }
  asking = [...scans.values()].filter((e) => e.state === "pieces" && !e.withdraw)
    .sort((a, b) => a.seq - b.seq)[0] || null;
  form.hidden = !asking;
  showPiecesProblem("");
  if (!asking) { scanBox.refocus(); return; }
  $("pieces-what").textContent = say("lot_of", { name: asking.name || asking.code, code: asking.code });
  const box = $("pieces-box");
  box.value = "";
  box.focus({ preventScroll: false });
}

function showPiecesProblem(text) {
  const box = $("pieces-message");
  box.textContent = text;
  box.hidden = !text;
}

$("pieces").addEventListener("submit", (event) => {
  event.preventDefault();
  const box = $("pieces-box");
  const typed = box.value.trim();
  box.value = "";
  // A scanner fires into whichever box has the focus: a code on the rail, or a number
  // longer than any count of pieces, is a tag scanned meanwhile, not this lot's pieces.
  if (rail.has(typed) || (/^\d+$/.test(typed) && Number(typed) > CONFIG.max_pieces) || /[^\d\s.]/.test(typed)) {
    scan(typed);
    box.focus();
    return;
  }
  const pieces = Number(typed.replace(/[\s.]/g, ""));
  if (!Number.isInteger(pieces) || pieces < 1 || pieces > CONFIG.max_pieces) {
    beep(false);
    showPiecesProblem(say("pieces_range", { n: CONFIG.max_pieces.toLocaleString("vi-VN") }));
    box.focus();
    return;
  }
  const entry = asking;
  if (!entry) { return; }
  entry.pieces = pieces;
  entry.state = "waiting";
  delete entry.message;
  keep(entry);
  render(entry);
  beep(true);
  asking = null;
  askPieces();
  scheduleSend(0);
});

$("pieces-skip").addEventListener("click", () => {
  if (asking) { takeBack(asking); }
});

// ------------------------------------------------------------------ what this phone counted

function stateText(entry) {
  if (entry.state === "withdrawn" || entry.withdraw) { return TEXT.withdrawn; }
  if (entry.state === "pieces") { return TEXT.needs_pieces; }
  if (entry.state === "sent") { return TEXT.sent; }
  if (entry.state === "refused") { return `${TEXT.refused}: ${entry.message || ""}`; }
  return TEXT.waiting;
}

function render(entry) {
  const list = $("mine");
  const old = shown.get(entry.client_id);
  const state = entry.withdraw && entry.state !== "withdrawn" ? "withdrawing" : entry.state;
  const what = el("span", { class: "what" },
    el("span", { class: "code", text: entry.code }),
    entry.name ? el("span", { class: "name", text: ` ${entry.name}` }) : "",
    entry.pieces ? el("span", { class: "meta", text: ` · ${say("lot", { pieces: entry.pieces })}` }) : "");
  const row = el("li", { class: `scan-line ${state}`, "data-client-id": entry.client_id, "data-code": entry.code, "data-state": state, "data-kept": entry.kept ? "yes" : "no", "data-testid": "scan-line" },
    what, el("span", { class: "state", "data-testid": "scan-state", text: stateText(entry) }));
  if (entry.state !== "withdrawn" && !entry.withdraw) {
    const back = el("button", { type: "button", class: "button secondary take-back", "data-testid": "take-back", text: TEXT.take_back });
    back.addEventListener("click", () => takeBack(entry));
    row.append(back);
  }
  if (old) { old.replaceWith(row); } else { list.prepend(row); }
  shown.set(entry.client_id, row);
  showMine();
}

function showMine() {
  const live = [...scans.values()].filter((e) => e.state !== "withdrawn" && !e.withdraw).length;
  $("mine-count").textContent = `(${live})`;
  $("mine-empty").hidden = scans.size > 0;
  showLink();
}

function takeBack(entry) {
  entry.withdraw = true;
  if (entry.state === "pieces" || entry.state === "refused" ||
      (entry.state === "waiting" && entry.tries === 0 && !inFlight.has(entry.client_id))) {
    entry.state = "withdrawn"; // it never reached the server
    entry.withdraw = false;
  }
  keep(entry);
  render(entry);
  if (asking === entry) { asking = null; askPieces(); }
  scheduleSend(0);
}

// ------------------------------------------------------------------ sending

let sendTimer = null;
let backoff = 2000;
let sending = false;

function scheduleSend(ms) {
  clearTimeout(sendTimer);
  sendTimer = setTimeout(sendAll, ms);
}

function waitingCount() {
  return [...scans.values()].filter((e) => (e.state === "waiting" && !e.withdraw) ||
    (e.withdraw && e.state !== "withdrawn")).length;
}

function scanBody(entry) {
  const body = { client_id: entry.client_id, code: entry.code, scanned_at: entry.scanned_at };
  if (entry.pieces) { body.pieces = entry.pieces; }
  return body;
}

// One batch: true when it was answered (taken, or refused by the server), false when not.
async function sendBatch() {
  const batch = [...scans.values()].filter((e) => e.state === "waiting" && !e.withdraw)
    .sort((a, b) => a.seq - b.seq).slice(0, CONFIG.batch);
  if (!batch.length) { return true; }
  for (const entry of batch) { entry.tries += 1; inFlight.add(entry.client_id); }
  let answer;
  try {
    answer = await api.post(CONFIG.urls.scans, { scans: batch.map(scanBody) }, { ms: 15000 });
  } finally { for (const entry of batch) { inFlight.delete(entry.client_id); } }
  if (answer.ok) {
    for (const outcome of answer.json.scans) {
      const entry = scans.get(outcome.client_id);
      if (!entry) { continue; }
      if (outcome.item) { entry.name = outcome.item.description || outcome.item.category; entry.is_lot = outcome.item.is_lot; }
      if (outcome.outcome === "refused") {
        const fields = outcome.fields || {};
        if (fields.pieces && outcome.item && outcome.item.is_lot && !entry.pieces) {
          entry.state = "pieces"; // the server knows it is a lot: ask for its pieces
        } else {
          entry.state = "refused";
          entry.message = [...new Set(Object.values(fields).flat())].join(" ");
          entry.withdraw = false;
        }
      } else { entry.state = "sent"; }
      keep(entry);
      render(entry);
    }
    showProgress(answer.json.progress);
    askPieces();
    return true;
  }
  if (answer.refused) {
    if (answer.status === 409) { closeHere(); return true; }
    for (const entry of batch) {
      entry.state = "refused";
      entry.message = answer.message;
      keep(entry);
      render(entry);
    }
    return true;
  }
  return false;
}

async function sendWithdrawals() {
  for (const entry of [...scans.values()]) {
    if (!entry.withdraw || entry.state === "withdrawn" || inFlight.has(entry.client_id)) { continue; }
    if (entry.state !== "sent" && entry.tries === 0) {
      entry.state = "withdrawn"; entry.withdraw = false; keep(entry); render(entry); continue;
    }
    const url = CONFIG.urls.withdraw.replace("CLIENT", encodeURIComponent(entry.client_id));
    const answer = await api.post(url, {}, { ms: 10000 });
    if (answer.ok || (answer.refused && answer.status === 404)) {
      // 404: the server never had it (a try whose answer was lost never arrived).
      entry.state = "withdrawn";
      entry.withdraw = false;
    } else if (answer.refused) {
      entry.withdraw = false;
      entry.message = answer.message;
      if (answer.status === 409) { closeHere(); }
    } else { return false; }
    keep(entry);
    render(entry);
  }
  return true;
}

async function sendAll() {
  if (sending || closed) { return; }
  sending = true;
  let answered = true;
  try {
    if (waitingCount()) { showLink(); }
    answered = (await sendBatch()) && (await sendWithdrawals());
  } catch (error) { answered = false; } finally { sending = false; }
  if (!answered) {
    if (!signedOut) { setLink("offline"); }
    backoff = Math.min(backoff * 2, 60000);
    scheduleSend(backoff);
    return;
  }
  backoff = 2000;
  showLink();
  if (!closed && [...scans.values()].some((e) => e.state === "waiting" && !e.withdraw && !inFlight.has(e.client_id))) {
    scheduleSend(0);
  }
}

// ------------------------------------------------------------------ the link and the count

function setLink(state) {
  link = state;
  if (state === "online") { signedOut = false; }
  showLink();
}

function showLink() {
  const box = $("link-state") || document.querySelector('[data-testid="link-state"]');
  const waiting = waitingCount();
  let text;
  let state;
  if (closed) { text = TEXT.closed; state = "closed"; }
  else if (signedOut) { text = say("signed_out", { count: waiting }); state = "signed-out"; }
  else if (link === "offline") { text = say(fromCopy ? "offline_copy" : "offline", { count: waiting }); state = "offline"; }
  else if (waiting > 0) { text = say("sending", { count: waiting }); state = "sending"; }
  else if (link === "connecting") { text = TEXT.connecting; state = "connecting"; }
  else { text = TEXT.all_sent; state = "online"; }
  box.replaceChildren(text);
  if (signedOut && !closed) {
    box.append(" ", el("a", { href: CONFIG.urls.sign_in, "data-testid": "sign-in-again", text: TEXT.sign_in_again }));
  }
  box.dataset.state = state;
}

function showProgress(progress) {
  if (!progress) { return; }
  $("progress-counted").textContent = progress.counted;
  $("progress-expected").textContent = progress.expected;
  const bar = $("progress-bar");
  bar.max = progress.expected || 1;
  bar.value = progress.counted;
  $("progress-scans").textContent = say("scans_n", { count: progress.scans });
  $("progress-unknown").textContent = say("unknown_n", { count: progress.unknown });
  const body = document.querySelector("#progress-categories tbody");
  body.replaceChildren(...progress.categories.map((c) => el("tr", {},
    el("td", { text: c.name }), el("td", { text: String(c.counted) }), el("td", { text: String(c.expected) }))));
}

// The count was closed (by a coordinator, on another phone): nothing more is taken.
function closeHere() {
  closed = true;
  for (const entry of scans.values()) {
    if (entry.state === "waiting" || entry.state === "pieces") {
      entry.state = "refused";
      entry.message = TEXT.closed;
      keep(entry);
      render(entry);
    }
  }
  $("pieces").hidden = true;
  codeBox.disabled = true;
  showLink();
}

async function refreshProgress() {
  const answer = await api.getJson(CONFIG.urls.count, 6000);
  if (answer.ok) {
    if (link !== "online") { setLink("online"); if (waitingCount()) { scheduleSend(0); } }
    showProgress(answer.json.progress);
    if (answer.json.status !== "open") { closeHere(); }
  } else if (answer.status !== 401) {
    setLink("offline");
  }
}

// ------------------------------------------------------------------ start

async function start() {
  try {
    for (const item of await counterStore.getAll("items")) {
      rail.set(item.code, { name: item.name, is_lot: item.is_lot });
    }
  } catch (error) { /* no copy of the rail on this phone: the server says which are lots */ }
  try {
    const kept = (await db.getAll("scans"))
      .filter((e) => e.count === CONFIG.count && e.member === CONFIG.member)
      .sort((a, b) => a.seq - b.seq);
    for (const entry of kept) { entry.kept = true; scans.set(entry.client_id, entry); render(entry); }
  } catch (error) { /* nothing kept */ }
  showMine();
  for (const code of scanBox.early) { scan(code); }
  askPieces();
  await refreshProgress();
  scheduleSend(0);
  setInterval(refreshProgress, CONFIG.progress_every_ms);
  window.addEventListener("online", () => { refreshProgress(); scheduleSend(0); });
  window.addEventListener("offline", () => setLink("offline"));
  if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(() => {}); }
  keepThisPage();
}

// The count pages' service worker keeps this page and its files, so it opens again from the
// browser's history or a home-screen shortcut with no link (browsers run workers only over
// HTTPS or on localhost). A page the worker did not answer (the first one) asks to be kept.
function keepThisPage() {
  if (!("serviceWorker" in navigator)) { return; }
  const controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.register(CONFIG.urls.worker, { scope: CONFIG.urls.scope })
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      if (!controlled && registration.active) { registration.active.postMessage({ keep: true }); }
    })
    .catch(() => {});
}

window.countApp = { scans };
start();
