// The counter as an app in the page. The cart lives here (and in IndexedDB); a scan adds
// its line at once from the page's copy of the rail; the server is asked only to record
// the sale, and while it cannot be reached the sale waits in the outbox, sent again with
// the same client id until the server has it (recorded exactly once).
import { formatDong, parseDong } from "./money.js";
import { addDays, daysBetween, daysInStock, effectivePrice, localToday, markdownStep } from "./pricing.js";
import { SaleError, payment, totals } from "./sale.js";
import * as store from "./store.js";
import { qrSvg, reference, transferPayload } from "./vietqr.js";
import { drawerJob, receiptJob, toBase64, toBits } from "./escpos.js";
import { drawReceipt, loadFonts } from "./receipt_image.js";
import { PrintFailure, chooseUsbPrinter, printPage, sendRawbt, sendWebusb } from "./device_print.js";
import { createApi, withTimeout } from "./net.js";
import { attachScanBox, audioContext, beep, clientId } from "./scanbox.js";
import { el } from "./dom.js";

const TEXT = JSON.parse(document.getElementById("counter-text").textContent);
const CONFIG = JSON.parse(document.getElementById("counter-config").textContent);
const $ = (id) => document.getElementById(id);
// How receipts reach the printer: the server's queue, or this device (rawbt, webusb, browser).
const PRINTER = CONFIG.printer || { path: "server" };
const DEVICE_PRINTS = PRINTER.path !== "server";
const codeBox = $("code");

function say(key, values = {}) {
  return TEXT[key].replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
}

// ------------------------------------------------------------------ state

const rail = new Map(); // code → item, the page's copy
let railMeta = null; // {cursor, today, policy}
let railReady = false;
let cart = emptyCart();
let link = "connecting"; // connecting | online | offline
let outboxCount = 0;
let refusedCount = 0;
let signedOut = false; // the server answers, but this device is no longer signed in
const pendingScans = [];

function emptyCart() {
  return { lines: [], discount_dong: 0, discount_reason: "", client_id: newClientId() };
}

function newClientId() { return clientId("counter"); }

function saveCart() { store.put("kv", cart, "cart").catch(() => {}); }

// ------------------------------------------------------------------ sound and messages

// Money in, with no tap: three notes going up, loud enough over the shop.
function chime() {
  try {
    const audio = audioContext();
    if (audio.state === "suspended") { audio.resume().catch(() => {}); }
    const start = audio.currentTime + 0.02;
    [784, 988, 1319].forEach((frequency, index) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      const at = start + index * 0.14;
      osc.type = "sine";
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + (index === 2 ? 0.45 : 0.13));
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.5);
    });
  } catch (error) { /* no sound on this device */ }
}

function scanMessage(text, ok) {
  const box = $("scan-message");
  box.textContent = text;
  box.className = "scan-message " + (ok ? "ok" : "error");
  if (ok) {
    const flash = $("flash-ok");
    flash.textContent = "✓";
    clearTimeout(scanMessage.timer);
    scanMessage.timer = setTimeout(() => { flash.textContent = ""; }, 900);
  }
}

function show(id, text) {
  const box = $(id);
  box.textContent = text || "";
  box.hidden = !text;
}

// ------------------------------------------------------------------ prices

// The shop's today: the device's date, put right by how far it was from the server's when
// the rail last came (a tablet whose clock reset after a power cut prices as the shop does).
function today() { return addDays(localToday(CONFIG.timezone), railMeta ? railMeta.dayOffset || 0 : 0); }

function steps() { return railMeta ? railMeta.policy.markdown : []; }

function unitPrice(item) {
  return effectivePrice(item.price_dong, daysInStock(item.received_on, today()), steps());
}

function cartLines() {
  return cart.lines.map((line) => ({
    unit_price_dong: line.unit_price_dong,
    quantity: line.quantity,
    discount_dong: line.discount_dong,
  }));
}

function cartTotals() {
  if (!cart.lines.length) { return { total: 0, nets: [], parts: [] }; }
  try { return totals(cartLines(), cart.discount_dong); } catch (error) {
    return { total: 0, nets: cart.lines.map(() => 0), parts: [], error };
  }
}

// ------------------------------------------------------------------ scanning

function scan(raw) {
  const code = raw.trim();
  if (!code) { return; }
  if (!railReady) { pendingScans.push(code); scanMessage(TEXT.not_ready, false); return; }
  const item = rail.get(code) || rail.get(code.toUpperCase());
  if (!item) {
    beep(false);
    scanMessage(say("unknown", { code }), false);
    return;
  }
  const line = cart.lines.find((l) => l.code === item.code);
  if (line && !item.is_lot) {
    beep(false);
    scanMessage(say("in_cart", { code: item.code }), false);
    return;
  }
  if (item.is_lot && (line ? line.quantity : 0) + 1 > (item.on_hand || 0)) {
    beep(false);
    scanMessage(say("only_left", { left: item.on_hand || 0, code: item.code }), false);
    return;
  }
  if (line) { line.quantity += 1; } else {
    cart.lines.push({
      code: item.code, name: item.name, size: item.size, is_lot: item.is_lot,
      tag_price_dong: item.price_dong, unit_price_dong: unitPrice(item),
      quantity: 1, discount_dong: 0, discount_reason: "",
    });
  }
  beep(true);
  scanMessage(say("added", { code: item.code }), true);
  clearResult();
  saveCart();
  render(item.code);
}

// A scanner's code and Enter become a line at once; what it typed before this module ran
// (static/js/counter/early.js kept it) is scanned once the rail is read.
const scanBox = attachScanBox($("scan"), codeBox, scan);
const refocus = scanBox.refocus;
pendingScans.push(...scanBox.early);

// ------------------------------------------------------------------ the cart

function render(scrollTo) {
  const list = $("cart");
  const result = cartTotals();
  list.replaceChildren();
  cart.lines.forEach((line, index) => list.append(lineElement(line, index, result)));
  $("cart-empty").hidden = cart.lines.length > 0;
  document.querySelector('[data-testid="total"]').textContent = formatDong(result.total);
  updatePayment();
  if (scrollTo) {
    const row = list.querySelector(`[data-code="${CSS.escape(scrollTo)}"]`);
    if (row) { row.scrollIntoView({ block: "nearest" }); }
  }
}

function lineElement(line, index, result) {
  const li = el("li", { class: "cart-line", "data-code": line.code });
  const meta = [line.code];
  if (line.is_lot) { meta.push(`${line.quantity} × ${formatDong(line.unit_price_dong)}`); }
  if (line.unit_price_dong !== line.tag_price_dong) { meta.push(`(${formatDong(line.tag_price_dong)})`); }
  const what = el("div", { class: "what" },
    el("span", { class: "name", text: line.name + (line.size ? ` · ${line.size}` : "") }),
    el("span", { class: "meta", text: meta.join(" · ") }));
  const net = el("strong", { class: "net", "data-testid": "net", text: formatDong(result.nets[index] ?? 0) });
  li.append(what, net);
  const tools = el("div", { class: "line-tools" });
  if (line.is_lot) {
    const item = rail.get(line.code);
    const less = el("button", { type: "button", class: "button secondary qty", "aria-label": TEXT.less, "data-testid": "less", text: "−" });
    const more = el("button", { type: "button", class: "button secondary qty", "aria-label": TEXT.more, "data-testid": "more", text: "+" });
    if (line.quantity <= 1) { less.disabled = true; }
    if (!item || line.quantity >= (item.on_hand || 0)) { more.disabled = true; }
    less.addEventListener("click", () => changeQuantity(index, -1));
    more.addEventListener("click", () => changeQuantity(index, 1));
    tools.append(less, el("span", { class: "qty-value", "data-testid": "quantity", text: String(line.quantity) }), more);
  }
  const details = el("details", { class: "line-discount" });
  if (line.discount_dong || line.pending_discount) { details.open = true; }
  details.append(el("summary", { text: TEXT.discount + (line.discount_dong ? `: ${formatDong(line.discount_dong)}` : "") }));
  const amountId = `d-${index}`;
  const reasonId = `r-${index}`;
  const amount = el("input", { type: "text", inputmode: "numeric", id: amountId, name: "discount_dong", autocomplete: "off" });
  amount.value = line.pending_discount ?? (line.discount_dong ? String(line.discount_dong) : "");
  const reason = el("input", { type: "text", id: reasonId, name: "discount_reason", maxlength: "200", autocomplete: "off" });
  reason.value = line.pending_reason ?? line.discount_reason;
  const message = el("p", { class: "error", "data-testid": "line-discount-message", hidden: "" });
  const check = () => lineDiscount(index, amount.value, reason.value, message, details);
  amount.addEventListener("input", check);
  reason.addEventListener("input", check);
  details.append(
    el("div", { class: "field" }, el("label", { for: amountId, text: TEXT.discount }), amount),
    el("div", { class: "field" }, el("label", { for: reasonId, text: TEXT.discount_reason }), reason),
    message);
  const remove = el("button", { type: "button", class: "button danger", "data-testid": "remove", text: TEXT.remove });
  remove.addEventListener("click", () => {
    cart.lines.splice(index, 1);
    revalidateSaleDiscount();
    saveCart();
    render();
  });
  details.append(remove);
  tools.append(details);
  li.append(tools);
  if (line.problem) { li.append(el("p", { class: "error", text: line.problem })); }
  return li;
}

function changeQuantity(index, by) {
  const line = cart.lines[index];
  const item = rail.get(line.code);
  const wanted = line.quantity + by;
  if (wanted < 1 || !item || wanted > (item.on_hand || 0)) { beep(false); return; }
  line.quantity = wanted;
  if (line.discount_dong > line.unit_price_dong * wanted) {
    line.discount_dong = 0;
    line.problem = TEXT.line_discount;
  } else { line.problem = null; }
  revalidateSaleDiscount();
  saveCart();
  render();
}

// A discount goes into the cart only when it is an amount, not above its line, with a reason.
function checkDiscount(text, reasonText, limit, limitMessage) {
  if (!text.trim()) { return { amount: 0, reason: "" }; }
  let amount;
  try { amount = parseDong(text); } catch (error) { return { problem: TEXT.amount }; }
  if (amount > limit) { return { problem: limitMessage }; }
  const reason = reasonText.split(/\s+/).filter(Boolean).join(" ");
  if (amount && !reason) { return { problem: TEXT.reason }; }
  return { amount, reason };
}

function lineDiscount(index, text, reasonText, message, details) {
  const line = cart.lines[index];
  const outcome = checkDiscount(text, reasonText, line.unit_price_dong * line.quantity, TEXT.line_discount);
  line.pending_discount = text;
  line.pending_reason = reasonText;
  line.problem = null;
  if (outcome.problem) {
    line.discount_dong = 0;
    line.discount_reason = "";
    message.textContent = outcome.problem;
    message.hidden = false;
  } else {
    line.discount_dong = outcome.amount;
    line.discount_reason = outcome.reason;
    message.hidden = true;
  }
  revalidateSaleDiscount();
  saveCart();
  const result = cartTotals();
  const row = $("cart").children[index];
  row.querySelector('[data-testid="net"]').textContent = formatDong(result.nets[index] ?? 0);
  details.querySelector("summary").textContent = TEXT.discount + (line.discount_dong ? `: ${formatDong(line.discount_dong)}` : "");
  document.querySelector('[data-testid="total"]').textContent = formatDong(result.total);
  updatePayment();
}

function saleDiscountLimit() {
  return cart.lines.reduce((a, l) => a + l.unit_price_dong * l.quantity - l.discount_dong, 0);
}

function saleDiscount() {
  const outcome = checkDiscount($("sale_discount_dong").value, $("discount_reason").value,
    saleDiscountLimit(), TEXT.sale_discount);
  if (outcome.problem) {
    cart.discount_dong = 0;
    cart.discount_reason = "";
    show("sale-discount-message", outcome.problem);
  } else {
    cart.discount_dong = outcome.amount;
    cart.discount_reason = outcome.reason;
    show("sale-discount-message", "");
  }
}

function revalidateSaleDiscount() { if ($("sale_discount_dong").value.trim()) { saleDiscount(); } }

for (const id of ["sale_discount_dong", "discount_reason"]) {
  $(id).addEventListener("input", () => { saleDiscount(); saveCart(); render(); });
}

// ------------------------------------------------------------------ payment

function method() {
  const chosen = document.querySelector('input[name="method"]:checked');
  return chosen ? chosen.value : "cash";
}

function typed(id) {
  const text = $(id).value;
  if (!text.trim()) { return { value: null }; }
  try { return { value: parseDong(text) }; } catch (error) { return { problem: TEXT.amount }; }
}

// What she asked for, checked: {total, transfer, tendered, change} or {problem}.
function paymentPlan() {
  const result = cartTotals();
  if (!cart.lines.length) { return { problem: TEXT.empty }; }
  if (result.error) { return { problem: TEXT[result.error.code] || TEXT.amount }; }
  const how = method();
  let transfer = 0;
  let tendered = null;
  if (how === "transfer") { transfer = result.total; }
  if (how === "both") {
    const t = typed("transfer_dong");
    if (t.problem) { return { problem: t.problem }; }
    transfer = t.value || 0;
  }
  if (how !== "transfer") {
    const t = typed("tendered_dong");
    if (t.problem) { return { problem: t.problem }; }
    tendered = t.value;
  }
  try {
    const paid = payment(result.total, transfer, tendered);
    return { total: result.total, ...paid };
  } catch (error) {
    return { problem: error instanceof SaleError ? (TEXT[error.code] || TEXT.amount) : TEXT.amount };
  }
}

function updatePayment() {
  const how = method();
  $("tendered-field").hidden = how === "transfer";
  $("transfer-field").hidden = how !== "both";
  const total = cartTotals().total;
  const cashDue = Math.max(0, total - (how === "both" ? (typed("transfer_dong").value || 0) : 0));
  for (const button of document.querySelectorAll("[data-cash]")) {
    const step = button.dataset.cash;
    if (step === "exact") { button.dataset.amount = String(cashDue); continue; }
    const amount = Math.max(Number(step), Math.ceil(cashDue / Number(step)) * Number(step));
    button.dataset.amount = String(amount);
    button.textContent = formatDong(amount);
  }
  if (!cart.lines.length) { return; } // the last sale's change stays on show
  const plan = paymentPlan();
  const tenderedTyped = $("tendered_dong").value.trim() !== "";
  show("pay-message", plan.problem && (tenderedTyped || plan.problem !== TEXT.tendered) && plan.problem !== TEXT.empty ? plan.problem : "");
  document.querySelector('[data-testid="change"]').textContent = formatDong(plan.problem ? 0 : plan.change);
}

document.querySelectorAll('input[name="method"]').forEach((radio) => radio.addEventListener("change", updatePayment));
for (const id of ["tendered_dong", "transfer_dong"]) { $(id).addEventListener("input", updatePayment); }
for (const button of document.querySelectorAll("[data-cash]")) {
  button.addEventListener("click", () => {
    $("tendered_dong").value = formatDong(Number(button.dataset.amount), false);
    updatePayment();
  });
}

function clearResult() {
  stopFollowing();
  const result = $("result");
  if (!result.hidden) { result.hidden = true; result.replaceChildren(); }
}

$("pay").addEventListener("click", () => pay());

// A discount typed with a problem (no reason, not an amount, more than its line) counts for
// nothing, so the sale must not go at the full price unseen: Pay stops, the discount's panel
// opens, its message comes into view and the cursor goes to the box to mend.
function discountProblem() {
  const rows = $("cart").children;
  for (let i = 0; i < cart.lines.length; i += 1) {
    const line = cart.lines[i];
    if (!line.pending_discount || !line.pending_discount.trim()) { continue; }
    const outcome = checkDiscount(line.pending_discount, line.pending_reason ?? "",
      line.unit_price_dong * line.quantity, TEXT.line_discount);
    if (outcome.problem && rows[i]) {
      return {
        problem: outcome.problem,
        details: rows[i].querySelector("details"),
        message: rows[i].querySelector('[data-testid="line-discount-message"]'),
        field: rows[i].querySelector(outcome.problem === TEXT.reason ? '[name="discount_reason"]' : '[name="discount_dong"]'),
      };
    }
  }
  if ($("sale_discount_dong").value.trim()) {
    const outcome = checkDiscount($("sale_discount_dong").value, $("discount_reason").value,
      saleDiscountLimit(), TEXT.sale_discount);
    if (outcome.problem) {
      return {
        problem: outcome.problem,
        details: $("sale-discount"),
        message: $("sale-discount-message"),
        field: $(outcome.problem === TEXT.reason ? "discount_reason" : "sale_discount_dong"),
      };
    }
  }
  return null;
}

function showDiscountProblem(stop) {
  stop.details.open = true;
  stop.message.textContent = stop.problem;
  stop.message.hidden = false;
  stop.field.setAttribute("aria-invalid", "true");
  stop.message.scrollIntoView({ block: "center" });
  stop.field.focus({ preventScroll: true });
}

let paying = false;
async function pay() {
  if (paying) { return; }
  const stop = discountProblem();
  if (stop) { showDiscountProblem(stop); beep(false); return; }
  const plan = paymentPlan();
  if (plan.problem) { show("pay-message", plan.problem); beep(false); return; }
  if (plan.transfer && link === "offline" && !CONFIG.transfer) { show("pay-message", TEXT.transfer_offline); beep(false); return; }
  paying = true;
  show("cart-message", "");
  const at = new Date().toISOString();
  const body = {
    client_id: cart.client_id,
    lines: cart.lines.map((l) => {
      const line = { code: l.code, quantity: l.quantity };
      if (l.discount_dong) { line.discount_dong = l.discount_dong; line.discount_reason = l.discount_reason; }
      return line;
    }),
    transfer_dong: plan.transfer,
    // What she typed as handed over; nothing typed: the exact cash of the server's total
    // (the server prices the sale itself, and its total is the one that counts).
    tendered_dong: plan.transfer === plan.total ? null : typed("tendered_dong").value,
  };
  if (cart.discount_dong) { body.discount_dong = cart.discount_dong; body.discount_reason = cart.discount_reason; }
  const sold = cart.lines.map((l, i) => ({ ...l, net_dong: cartTotals().nets[i] }));
  const entry = {
    client_id: cart.client_id, body, at, cashier: CONFIG.member, tries: 0,
    unit_prices: cart.lines.map((l) => l.unit_price_dong), state: "sending",
    receipt: { lines: sold, total: plan.total, cash: plan.cash, transfer: plan.transfer, tendered: plan.tendered, change: plan.change, at },
  };
  await store.put("outbox", entry); // first on the device, then to the server
  await refreshOutboxCount();
  try {
    if (plan.transfer && link === "offline") { await offerTransfer(entry, null); return; }
    const answer = await post(CONFIG.urls.sales, body);
    if (answer.ok && answer.json.status === "awaiting_transfer") {
      await offerTransfer(entry, answer.json);
    } else if (answer.ok) {
      await store.remove("outbox", entry.client_id);
      finishSale(entry, answer.json);
    } else if (answer.refused) {
      await store.remove("outbox", entry.client_id);
      show("cart-message", answer.message);
      beep(false);
    } else if (plan.transfer && !CONFIG.transfer) {
      await store.remove("outbox", entry.client_id);
      show("pay-message", TEXT.transfer_offline);
      beep(false);
    } else if (plan.transfer) {
      await offerTransfer(entry, null);
    } else {
      await queueOffline(entry);
    }
  } finally {
    paying = false;
    await refreshOutboxCount();
  }
}

// The sale as an offline sale: when and who, the prices the page charged, and whether the
// cashier saw its transfer arrive.
function offlineBody(entry) {
  const body = {
    ...entry.body,
    offline: true,
    at: entry.at,
    cashier: entry.cashier,
    lines: entry.body.lines.map((line, i) => ({ ...line, unit_price_dong: entry.unit_prices[i] })),
  };
  if (entry.transfer_confirmed) { body.transfer_confirmed = true; }
  return body;
}

// ------------------------------------------------------------------ a transfer

// The transfer's code and "Money received", as at the counter with a link. With the sale
// recorded (``sale``), the server's code for it; with no link, the code made in the page
// for the sale's reference. Nothing is sent as paid until the money is seen: she taps "The
// money has arrived", or the shop's bank feed confirms the sale and the page, asking the
// server every few seconds, moves on by itself. The cart stays as it is until then.
//
// ``waiting``: the transfer on show, {entry, sale, panel, message, received, cancel,
// noLink, timer}; null when no transfer panel is open.
let waiting = null;
const FOLLOW_MS = 2500; // how often a waiting sale is asked after
const FOLLOW_SLOW_MS = 10000; // the same while the server does not answer

async function offerTransfer(entry, sale) {
  stopFollowing();
  entry.state = "awaiting";
  if (sale) { entry.number = sale.number; }
  await store.put("outbox", entry);
  const amount = entry.receipt.transfer;
  let payload = sale ? sale.vietqr : null;
  let purpose = "";
  if (!sale && CONFIG.transfer) {
    const made = transferPayload(CONFIG.transfer, amount, reference(entry.client_id, CONFIG.transfer.reference_length));
    if (made) { ({ payload, purpose } = made); }
  }
  const result = $("result");
  result.replaceChildren();
  const panel = el("div", { class: "transfer-panel stack", "data-testid": "transfer-panel" },
    el("p", { class: "transfer-amount", text: say("transfer_title", { amount: formatDong(amount) }) }));
  if (payload) {
    const code = el("div", { class: "qr-code", "data-testid": "transfer-qr", "data-payload": payload });
    code.innerHTML = qrSvg(payload); // the library's own SVG: paths only, no text of ours
    panel.append(code);
    if (CONFIG.transfer) { panel.append(el("p", { class: "muted", text: `${CONFIG.transfer.account_name} · ${CONFIG.transfer.account}` })); }
    if (purpose) { panel.append(el("p", { class: "muted", "data-testid": "transfer-purpose", text: say("transfer_purpose", { purpose }) })); }
  } else {
    panel.append(el("p", { class: "notice", text: TEXT.transfer_no_account }));
  }
  const state = { entry, sale, panel, timer: null };
  state.noLink = el("p", { class: "notice", "data-testid": "transfer-no-link", text: TEXT.transfer_no_link });
  state.watching = el("p", { class: "muted", "data-testid": "transfer-watching", text: TEXT.transfer_watching });
  state.noLink.hidden = Boolean(sale);
  state.watching.hidden = !(sale && CONFIG.bank_feed);
  state.message = el("p", { class: "error", "data-testid": "transfer-message", hidden: "" });
  state.received = el("button", { type: "button", class: "button", "data-testid": "transfer-received", text: TEXT.transfer_received });
  state.cancel = el("button", { type: "button", class: "button secondary", "data-testid": "transfer-cancel", text: sale ? TEXT.transfer_void : TEXT.transfer_back });
  state.received.addEventListener("click", () => transferReceived(state));
  state.cancel.addEventListener("click", () => transferCancelled(state));
  panel.append(state.noLink, state.watching, state.message, state.received, state.cancel);
  result.append(panel);
  result.hidden = false;
  panel.scrollIntoView({ block: "nearest" });
  waiting = state;
  follow(state, FOLLOW_MS);
}

// ---- following a waiting sale

function following(state) { return waiting === state && state.panel.isConnected; }

function stopFollowing() {
  if (waiting) { clearTimeout(waiting.timer); }
  waiting = null;
}

function follow(state, ms) {
  clearTimeout(state.timer);
  if (following(state)) { state.timer = setTimeout(() => followOnce(state), ms); }
}

// One look: the recorded sale asked after (GET, cheap); a sale with no number yet recorded
// now the link is back, so that it can be followed too. Nothing is asked while the page is
// hidden (it asks again the moment she comes back) or the device has no network at all.
async function followOnce(state) {
  if (!following(state) || document.hidden) { return; }
  if (settling || state.asking || navigator.onLine === false) { follow(state, FOLLOW_MS); return; }
  state.asking = true;
  let next = FOLLOW_MS;
  try {
    if (state.sale) {
      const answer = await getJson(`${CONFIG.urls.sales}/${state.sale.number}`);
      if (!following(state)) { return; }
      if (!answer.ok) { next = FOLLOW_SLOW_MS; } else if (!settling) {
        linkBack();
        const sale = answer.json;
        if (sale.status === "complete") { await paidElsewhere(state, sale); return; }
        if (sale.status === "voided") { showText(state.message, TEXT.transfer_voided); return; }
      }
    } else if (state.refused) {
      return;
    } else {
      next = await recordWaiting(state);
    }
  } finally { state.asking = false; }
  follow(state, next);
}

// The sale shown with no link is recorded now, still waiting for its transfer (the same
// client id: recorded once whatever happens), and from then on followed like any other.
// A refusal (the server says why) leaves it waiting on the page, confirmed by hand as before.
async function recordWaiting(state) {
  const answer = await post(CONFIG.urls.sales, state.entry.body, { ms: 8000 });
  if (!following(state) || settling) { return FOLLOW_MS; }
  if (!answer.ok) {
    if (answer.refused) { state.refused = true; }
    return FOLLOW_SLOW_MS;
  }
  const sale = answer.json;
  if (sale.status === "complete") { await paidElsewhere(state, sale); return FOLLOW_MS; }
  if (sale.status !== "awaiting_transfer") { state.refused = true; return FOLLOW_MS; }
  state.sale = sale;
  state.entry.number = sale.number;
  await store.put("outbox", state.entry);
  state.noLink.hidden = true;
  state.watching.hidden = !CONFIG.bank_feed;
  state.cancel.textContent = TEXT.transfer_void;
  return FOLLOW_MS;
}

// The server has the sale complete: the bank's feed confirmed it (or someone did on
// another counter). The money is in, with no tap: say so, then the sale is done.
async function paidElsewhere(state, sale) {
  stopFollowing();
  await store.remove("outbox", state.entry.client_id);
  finishSale(state.entry, sale, { received: true });
  await refreshOutboxCount();
}

function linkBack() {
  if (link !== "online" && !signedOut) { setLink("online"); if (outboxCount) { scheduleSend(0); } }
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && waiting) { follow(waiting, 0); }
});
window.addEventListener("online", () => { if (waiting) { follow(waiting, 0); } });

// ---- her own hand

let settling = false;
async function transferReceived(state) {
  if (settling) { return; }
  settling = true;
  const { entry, sale, message } = state;
  try {
    entry.transfer_confirmed = true;
    entry.state = "sending";
    await store.put("outbox", entry);
    if (sale) {
      const answer = await post(`${CONFIG.urls.sales}/${sale.number}/confirm`, {});
      if (answer.ok) {
        stopFollowing();
        await store.remove("outbox", entry.client_id);
        const byBank = answer.json.transfer && answer.json.transfer.confirmed_by === "bank";
        finishSale(entry, answer.json, { received: byBank });
        return;
      }
      if (answer.refused) {
        delete entry.transfer_confirmed;
        entry.state = "awaiting";
        await store.put("outbox", entry);
        showText(message, answer.message);
        return;
      }
    }
    // No link (now or all along): the sale goes in the outbox as paid; the server records
    // it, or confirms the one it already has under the same client id.
    stopFollowing();
    await queueOffline(entry);
  } finally {
    settling = false;
    await refreshOutboxCount();
  }
}

async function transferCancelled(state) {
  if (settling) { return; }
  settling = true;
  const { entry, sale, message } = state;
  try {
    if (sale) {
      const answer = await post(`${CONFIG.urls.sales}/${sale.number}/void`, { reason: TEXT.transfer_void_reason, client_id: `${entry.client_id}-void` });
      if (!answer.ok) { showText(message, answer.message || TEXT.transfer_void_failed); return; }
    }
    stopFollowing();
    await store.remove("outbox", entry.client_id);
    cart.client_id = newClientId(); // a new try is a new sale
    saveCart();
    clearResult();
    refocus();
  } finally {
    settling = false;
    await refreshOutboxCount();
  }
}

function showText(box, text) {
  box.textContent = text;
  box.hidden = !text;
}

async function queueOffline(entry) {
  entry.state = "queued";
  await store.put("outbox", entry);
  setLink("offline");
  takeOffRail(entry.receipt.lines);
  finishSale(entry, null);
  scheduleSend(2000);
}

function takeOffRail(lines) {
  for (const line of lines) {
    const item = rail.get(line.code);
    if (!item) { continue; }
    if (item.is_lot) {
      item.on_hand = (item.on_hand || 0) - line.quantity;
      if (item.on_hand <= 0) { rail.delete(line.code); store.remove("items", line.code).catch(() => {}); }
      else { store.put("items", item).catch(() => {}); }
    } else { rail.delete(line.code); store.remove("items", line.code).catch(() => {}); }
  }
}

// The sale done: its number and receipt, the change on show, the cart empty. ``received``:
// the money came in with no tap (the bank's feed confirmed the transfer), said big and
// green with a chime.
function finishSale(entry, sale, { received = false } = {}) {
  stopFollowing();
  const result = $("result");
  result.replaceChildren();
  if (sale && received) {
    result.append(el("p", { class: "money-received", "data-testid": "money-received", role: "status", text: `✓ ${TEXT.money_received}` }));
    const by = sale.transfer ? sale.transfer.confirmed_by : null;
    const who = by === "bank" ? TEXT.confirmed_by_bank
      : by === "member" && sale.transfer.confirmed_by_name ? say("confirmed_by_member", { name: sale.transfer.confirmed_by_name }) : "";
    if (who) { result.append(el("p", { class: "muted", "data-testid": "confirmed-by", text: who })); }
  }
  const change = sale ? sale.change_dong : entry.receipt.change;
  document.querySelector('[data-testid="change"]').textContent = formatDong(change);
  if (sale) {
    if (sale.total_dong !== entry.receipt.total) {
      result.append(el("p", { class: "notice", "data-testid": "server-total", text: say("server_total", { total: formatDong(sale.total_dong) }) }));
    }
    result.append(el("p", { class: "ok", "data-testid": "sale-number", text: say("recorded", { number: sale.number }) }));
    result.append(el("a", { class: "button secondary", href: `${CONFIG.urls.sale}${sale.number}/receipt`, "data-testid": "receipt-link", text: TEXT.receipt }));
    document.querySelector('[data-testid="total"]').textContent = formatDong(sale.total_dong);
  } else {
    result.append(el("p", { class: "notice", "data-testid": "queued", text: TEXT.queued }));
    const button = el("button", { type: "button", class: "button secondary", "data-testid": "local-receipt-button", text: TEXT.local_receipt });
    button.addEventListener("click", () => printLocalReceipt(entry));
    result.append(button);
  }
  result.hidden = false;
  cart = emptyCart();
  $("sale_discount_dong").value = "";
  $("discount_reason").value = "";
  $("tendered_dong").value = "";
  $("transfer_dong").value = "";
  saveCart();
  const total = sale ? sale.total_dong : entry.receipt.total;
  render();
  document.querySelector('[data-testid="total"]').textContent = formatDong(total);
  if (sale && received) {
    chime();
    result.querySelector('[data-testid="money-received"]').scrollIntoView({ block: "nearest" });
  } else { beep(true); }
  refocus();
  if (sale) { refreshRail(); }
  if (DEVICE_PRINTS) { deviceReceipt(entry, sale); }
}

function printLocalReceipt(entry) {
  const box = $("local-receipt");
  const r = entry.receipt;
  box.replaceChildren(
    el("h2", { text: TEXT.receipt_title }),
    el("p", { class: "muted", text: `${new Date(r.at).toLocaleString("vi-VN", { timeZone: CONFIG.timezone })} · ${TEXT.not_sent_yet}` }),
    el("p", { class: "muted", text: entry.client_id.slice(-8).toUpperCase() }),
    el("table", {}, ...r.lines.map((l) => el("tr", {},
      el("td", { text: `${l.name} (${l.code})${l.quantity > 1 ? ` × ${l.quantity}` : ""}` }),
      el("td", { class: "num", text: formatDong(l.net_dong) })))),
    el("p", { text: `${TEXT.total}: ${formatDong(r.total)}` }),
    ...(r.transfer ? [el("p", { text: `${TEXT.transfer_part}: ${formatDong(r.transfer)}` })] : []),
    ...(r.cash || !r.transfer ? [el("p", { text: `${TEXT.tendered_label}: ${formatDong(r.tendered ?? r.cash)} · ${TEXT.change}: ${formatDong(r.change)}` })] : []));
  box.hidden = false;
  window.print();
}

// ------------------------------------------------------------------ receipts this device prints

// With a path other than the server's queue, the device prints each sale's receipt itself
// once the sale is recorded (or kept here with no link): by itself when the settings say
// every sale gets one, else with a button. A sale is never held back by its receipt: it is
// recorded first, and a receipt that did not print stays listed (in IndexedDB, across
// reloads) with a button to print it again.

function momentText(iso) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: CONFIG.timezone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

// The receipt as the page draws it: the server's figures when it has recorded the sale,
// else the page's own (the server's figures count once the sale arrives).
function receiptModel(entry, sale) {
  const r = entry.receipt;
  const cash = sale ? sale.cash_dong : r.cash;
  return {
    shop_name: PRINTER.shop_name, shop_address: PRINTER.shop_address, footer: PRINTER.footer,
    labels: PRINTER.labels, title: TEXT.receipt_title,
    heading: sale ? `${PRINTER.labels.sale} ${sale.number}` : `${TEXT.kept_on_device} · ${entry.client_id.slice(-8).toUpperCase()}`,
    moment_text: momentText(sale && sale.at ? sale.at : r.at),
    cashier: CONFIG.member_name || "",
    lines: r.lines.map((l) => ({
      code: l.code, description: [l.name, l.size].filter(Boolean).join(" · "), quantity: l.quantity,
      unit_price: l.unit_price_dong, discount: l.discount_dong || 0, reason: l.discount_reason || "",
    })),
    sale_discount: entry.body.discount_dong || 0, sale_discount_reason: entry.body.discount_reason || "",
    total: sale ? sale.total_dong : r.total,
    cash,
    tendered: cash ? (sale ? sale.tendered_dong : (r.tendered ?? r.cash)) || 0 : 0,
    change: sale ? sale.change_dong : r.change,
    transfer: sale ? sale.transfer_dong : r.transfer,
    vietqr: null,
  };
}

async function deviceReceipt(entry, sale) {
  const cash = (sale ? sale.cash_dong : entry.receipt.cash) > 0;
  const record = { key: entry.client_id, number: sale ? sale.number : null, model: receiptModel(entry, sale), at: entry.at };
  const result = $("result");
  const status = el("p", { class: "muted", "data-testid": "device-print-status", "data-key": record.key, role: "status" });
  result.append(status);
  if (cash && PRINTER.path === "browser" && PRINTER.drawer_wired) {
    result.append(el("p", { class: "notice", "data-testid": "no-drawer", text: TEXT.no_drawer }));
  }
  if (!PRINTER.auto) {
    if (cash && PRINTER.drawer_pin) { sendBytes(drawerJob(PRINTER.drawer_pin)).catch(() => {}); }
    const button = el("button", { type: "button", class: "button secondary", "data-testid": "device-print", text: TEXT.print_receipt });
    button.addEventListener("click", () => printRecord(record, { drawer: false }));
    result.append(button);
    return;
  }
  await printRecord(record, { drawer: cash && PRINTER.drawer_pin > 0 });
}

async function sendBytes(bytes) {
  if (PRINTER.path === "rawbt") { sendRawbt(toBase64(bytes)); return; }
  if (PRINTER.path === "webusb") { await sendWebusb(bytes); return; }
  throw new PrintFailure("browser_failed");
}

// The receipt's bytes: the server's own (exactly what its queue would send) while it
// answers, else made here from the receipt drawn in the page.
async function receiptBytes(record, drawer) {
  if (record.number && navigator.onLine !== false) {
    const timeout = withTimeout(4000);
    try {
      const response = await fetch(`${CONFIG.urls.sales}/${record.number}/receipt.bin${drawer ? "?drawer=1" : ""}`,
        { credentials: "same-origin", signal: timeout.signal, cache: "no-store" });
      if (response.ok) { return new Uint8Array(await response.arrayBuffer()); }
    } catch (error) { /* no link: made here */ } finally { timeout.done(); }
  }
  const canvas = await drawnReceipt(record.model);
  const image = toBits(canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height));
  return receiptJob(image, { drawerPin: drawer ? PRINTER.drawer_pin : 0, cutter: PRINTER.cutter });
}

async function drawnReceipt(model) {
  const fonts = await loadFonts(PRINTER.fonts);
  const canvas = drawReceipt(model, { widthPx: PRINTER.width_px, paperMm: PRINTER.paper_mm, fonts });
  // What the page drew last, for whoever wants to see it (and the tests).
  window.counterApp.lastReceipt = { canvas, model };
  return canvas;
}

// The browser's Print of a receipt with no sale number yet: the page's drawing of it.
async function printDrawn(model) {
  const canvas = await drawnReceipt(model);
  const box = $("local-receipt");
  const image = el("img", { alt: TEXT.receipt, src: canvas.toDataURL("image/png"), "data-testid": "drawn-receipt" });
  image.style.width = `${PRINTER.paper_mm === 80 ? 72 : 48}mm`;
  box.replaceChildren(image);
  box.hidden = false;
  await new Promise((resolve) => { if (image.complete) { resolve(); } else { image.onload = resolve; image.onerror = resolve; } });
  window.print();
}

let printingNow = Promise.resolve();
function printRecord(record, options) {
  // One receipt after another: a printer takes one job at a time.
  printingNow = printingNow.then(() => printOne(record, options), () => printOne(record, options));
  return printingNow;
}

async function printOne(record, { drawer = false } = {}) {
  // The sale's line under its result, while it is on show.
  const say_ = (text) => {
    const status = document.querySelector(`[data-testid="device-print-status"][data-key="${CSS.escape(record.key)}"]`);
    if (status) { status.textContent = text; }
  };
  say_(TEXT.printing);
  record.state = "printing"; // kept first: a page closed mid-print lists it as not printed
  await store.put("receipts", record).catch(() => {});
  try {
    if (PRINTER.path === "browser") {
      if (record.number) {
        await printPage(`${CONFIG.urls.sale}${record.number}/receipt?paper=${PRINTER.paper_mm}`);
      } else {
        await printDrawn(record.model);
      }
    } else {
      await sendBytes(await receiptBytes(record, drawer));
    }
    await store.remove("receipts", record.key).catch(() => {});
    say_(TEXT.printed);
  } catch (error) {
    record.state = "failed";
    record.reason = error instanceof PrintFailure ? error.code : "usb_failed";
    await store.put("receipts", record).catch(() => {});
    say_(`${TEXT.not_printed}. ${TEXT[record.reason] || ""}`.trim());
  }
  await showUnprinted();
}

async function showUnprinted() {
  const section = $("unprinted-receipts");
  if (!section) { return; }
  const records = (await store.getAll("receipts").catch(() => [])).sort((a, b) => (a.at < b.at ? 1 : -1));
  section.hidden = records.length === 0;
  $("choose-usb").hidden = !(PRINTER.path === "webusb" && records.some((r) => r.reason === "no_usb_printer"));
  $("unprinted-list").replaceChildren(...records.map((record) => {
    const again = el("button", { type: "button", class: "button secondary", "data-testid": "reprint-receipt", text: TEXT.print_again });
    again.addEventListener("click", () => printRecord(record, { drawer: false }));
    const what = record.number ? say("not_printed_sale", { number: record.number })
      : say("not_printed_local", { ref: record.key.slice(-8).toUpperCase() });
    return el("li", { class: "card stack", "data-testid": "unprinted-receipt", "data-key": record.key },
      el("p", { text: `${momentText(record.at)} · ${what}` }),
      ...(record.reason && TEXT[record.reason] ? [el("p", { class: "error", "data-testid": "unprinted-reason", text: TEXT[record.reason] })] : []),
      el("div", { class: "actions" }, again));
  }));
}

if ($("choose-usb")) {
  $("choose-usb").addEventListener("click", async () => {
    try { await chooseUsbPrinter(); } catch (error) { return; }
    for (const record of await store.getAll("receipts").catch(() => [])) { printRecord(record, { drawer: false }); }
  });
}

// ------------------------------------------------------------------ talking to the server

// POST and GET through the API with the page's CSRF token (static/js/counter/net.js): one
// rule for sales, confirmations and voids alike.
const { post, getJson, freshToken } = createApi({
  csrfUrl: CONFIG.urls.csrf,
  csrfToken: CONFIG.csrf_token,
  timeoutMs: CONFIG.sale_timeout_ms,
  onOnline: () => setLink("online"),
  onSignedOut: () => setSignedOut(true),
});

// The outbox: every queued sale sent again (as an offline sale, same client id) until the
// server has it; a refusal is kept on the device for a coordinator to see, never dropped.
let sendTimer = null;
let backoff = 2000;
let sending = false;

function scheduleSend(ms) {
  clearTimeout(sendTimer);
  sendTimer = setTimeout(sendOutbox, ms);
}

async function sendOutbox() {
  if (sending) { return; }
  sending = true;
  let failed = false;
  try {
    const entries = (await store.getAll("outbox")).filter((e) => e.state === "queued");
    if (entries.length) { setLink(link === "offline" ? "offline" : "connecting"); }
    for (const entry of entries) {
      entry.tries = (entry.tries || 0) + 1;
      const answer = await post(CONFIG.urls.sales, offlineBody(entry), { ms: 10000 });
      if (answer.ok) {
        await store.remove("outbox", entry.client_id);
      } else if (answer.refused) {
        entry.state = "refused";
        entry.message = answer.message;
        await store.put("outbox", entry);
      } else { failed = true; break; }
    }
  } catch (error) { failed = true; } finally { sending = false; }
  await refreshOutboxCount();
  if (failed) {
    if (!signedOut) { setLink("offline"); }
    backoff = Math.min(backoff * 2, 60000);
    scheduleSend(backoff);
  } else {
    backoff = 2000;
    if (outboxCount - refusedCount > 0) { scheduleSend(1000); }
  }
}

async function refreshOutboxCount() {
  const entries = await store.getAll("outbox");
  // A sale whose transfer is on show is not a sale yet: it is not counted as waiting.
  outboxCount = entries.filter((e) => e.state !== "awaiting").length;
  refusedCount = entries.filter((e) => e.state === "refused").length;
  showLink();
}

function setLink(state) {
  link = state;
  if (state === "online") { signedOut = false; }
  showLink();
}

function setSignedOut(value) { signedOut = value; if (value) { link = "online"; } showLink(); }

function showLink() {
  const box = document.querySelector('[data-testid="link-state"]');
  const waiting = outboxCount - refusedCount;
  let text;
  let state;
  if (signedOut) { text = say("signed_out", { count: waiting }); state = "signed-out"; }
  else if (link === "offline") { text = say("offline", { count: waiting }); state = "offline"; }
  else if (link === "connecting") { text = TEXT.connecting; state = "connecting"; }
  else if (waiting > 0) { text = say("sending", { count: waiting }); state = "sending"; }
  else { text = TEXT.all_sent; state = "online"; }
  box.replaceChildren(text);
  if (signedOut) {
    box.append(" ", el("a", { href: CONFIG.urls.sign_in, "data-testid": "sign-in-again", text: TEXT.sign_in_again }));
  }
  if (refusedCount) {
    box.append(" · ", el("a", { href: "#refused", "data-testid": "refused-link", text: say("refused_waiting", { count: refusedCount }) }));
  }
  box.dataset.state = state;
  showRefused();
}

// ------------------------------------------------------------------ sales the server refused

// A sale sent from the outbox that the server refused (it answered, and said why) stays on
// the device, never dropped: the money was taken. Each is listed here with the server's
// words, to send again once the cause is mended (a coordinator's work), or to print.
let refusedShown = "";
async function showRefused() {
  const section = $("refused");
  const entries = (await store.getAll("outbox").catch(() => [])).filter((e) => e.state === "refused");
  const key = entries.map((e) => `${e.client_id}:${e.message}`).join("|");
  if (key === refusedShown) { return; }
  refusedShown = key;
  section.hidden = entries.length === 0;
  const list = $("refused-list");
  list.replaceChildren(...entries.map((entry) => {
    const r = entry.receipt;
    const again = el("button", { type: "button", class: "button secondary", "data-testid": "refused-again", text: TEXT.send_again });
    again.addEventListener("click", async () => {
      entry.state = "queued";
      delete entry.message;
      await store.put("outbox", entry);
      await refreshOutboxCount();
      scheduleSend(0);
    });
    const print = el("button", { type: "button", class: "button secondary", text: TEXT.local_receipt });
    print.addEventListener("click", () => printLocalReceipt(entry));
    return el("li", { class: "card stack", "data-testid": "refused-sale", "data-client-id": entry.client_id },
      el("p", { text: `${new Date(r.at).toLocaleString("vi-VN", { timeZone: CONFIG.timezone })} · ${entry.client_id.slice(-8).toUpperCase()}` }),
      el("p", { class: "muted", text: r.lines.map((l) => `${l.name || l.code} (${l.code})${l.quantity > 1 ? ` × ${l.quantity}` : ""}`).join(", ") }),
      el("p", { text: `${TEXT.total}: ${formatDong(r.total)}` }),
      el("p", { class: "error", "data-testid": "refused-message", text: entry.message || "" }),
      el("div", { class: "actions" }, again, print));
  }));
}

async function refreshRail() {
  const since = railMeta ? `?since=${encodeURIComponent(railMeta.cursor)}` : "";
  const timeout = withTimeout(8000);
  try {
    const response = await fetch(CONFIG.urls.rail + since, { credentials: "same-origin", signal: timeout.signal, headers: { Accept: "application/json" } });
    if (response.status === 401) { setSignedOut(true); return false; }
    if (!response.ok) { throw new Error(String(response.status)); }
    const answer = await response.json();
    answer.dayOffset = daysBetween(localToday(CONFIG.timezone), answer.today);
    await store.applyRail(answer);
    if (answer.full) { rail.clear(); }
    for (const item of answer.items) { rail.set(item.code, item); }
    for (const code of answer.gone) { rail.delete(code); }
    railMeta = { cursor: answer.cursor, today: answer.today, policy: answer.policy, dayOffset: answer.dayOffset };
    // A sale waiting in the outbox has taken its items off the rail: again for the fresh rows.
    const fresh = new Set(answer.items.map((item) => item.code));
    for (const entry of await store.getAll("outbox")) {
      takeOffRail(entry.receipt.lines.filter((line) => fresh.has(line.code)));
    }
    railReady = true;
    if (link !== "online") { setLink("online"); if (outboxCount) { scheduleSend(0); } }
    return true;
  } catch (error) {
    setLink("offline");
    return false;
  } finally { timeout.done(); }
}

// ------------------------------------------------------------------ start

async function start() {
  try {
    const kept = await store.get("kv", "rail");
    if (kept) {
      railMeta = kept;
      for (const item of await store.getAll("items")) { rail.set(item.code, item); }
      railReady = true;
    }
    const keptCart = await store.get("kv", "cart");
    if (keptCart && keptCart.lines) { cart = keptCart; }
  } catch (error) { /* a browser without IndexedDB: the page still sells while open */ }
  // A sale left "sending" by a page that was closed or reloaded is sent by the outbox now;
  // one whose transfer she had not yet seen arrive is not a sale (the cart still holds it,
  // to pay again: the same client id finds it if the server has it).
  for (const entry of await store.getAll("outbox").catch(() => [])) {
    const unpaid = entry.receipt && entry.receipt.transfer > 0 && !entry.transfer_confirmed;
    if (unpaid && (entry.state === "sending" || entry.state === "awaiting")) {
      await store.remove("outbox", entry.client_id);
    } else if (entry.state === "sending" || entry.state === "awaiting") {
      entry.state = "queued"; await store.put("outbox", entry);
    }
  }
  render();
  await refreshOutboxCount();
  if (DEVICE_PRINTS) {
    loadFonts(PRINTER.fonts);
    // Left "printing" by a page closed mid-print: not known to have printed.
    for (const record of await store.getAll("receipts").catch(() => [])) {
      if (record.state === "printing") { record.state = "failed"; await store.put("receipts", record).catch(() => {}); }
    }
    await showUnprinted();
  }
  if (!(await refreshRail()) && !railReady) { railReady = rail.size > 0; }
  railReady = true;
  while (pendingScans.length) { scan(pendingScans.shift()); }
  if (link === "online") { freshToken(); }
  if (outboxCount) { scheduleSend(0); }
  setInterval(refreshRail, CONFIG.rail_every_ms);
  window.addEventListener("online", () => { refreshRail(); scheduleSend(0); });
  window.addEventListener("offline", () => setLink("offline"));
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(CONFIG.urls.worker, { scope: new URL(".", location.href).pathname }).catch(() => {});
  }
  if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(() => {}); }
}

window.counterApp = { parseDong, formatDong, effectivePrice, markdownStep, totals, payment, rail };
start();
