// A sale's receipt drawn on a canvas by the counter device, as the server draws it
// (shop/printing/receipt.render_image): the bundled DejaVu Sans, black on white, as wide as
// the paper's printable width (384 dots on 58 mm, 576 on 80 mm), the shop's name and the
// total large, every line with its amount on the right, the payments, the change, the
// transfer's VietQR code and the footer. The page uses it when it has no link to ask the
// server for the receipt's bytes. Drawn as an image so that every Vietnamese letter prints
// on printers whose own fonts have none.
import { formatDong } from "./money.js";
import qrcode from "../../vendor/qrcode-generator/qrcode.mjs";

const FAMILY = "ShopReceipt";
// Sizes in dots at 203 dpi, for one paper width (receipt._STYLES).
const STYLES = {
  58: { body: 22, large: 28, margin: 2, gap: 2 },
  80: { body: 24, large: 32, margin: 4, gap: 3 },
};
const QR_SHARE = 0.6;
const QR_MIN_SCALE = 3;
const MIN_GAP = "  ";

let fontsReady = null;

// The bundled fonts, loaded once (the service worker keeps them for when there is no link);
// without them the device's own sans-serif draws the receipt.
export function loadFonts(urls) {
  if (!fontsReady) {
    fontsReady = (async () => {
      try {
        const faces = [
          new FontFace(FAMILY, `url(${urls.regular})`, { weight: "400" }),
          new FontFace(FAMILY, `url(${urls.bold})`, { weight: "700" }),
        ];
        for (const face of await Promise.all(faces.map((f) => f.load()))) { document.fonts.add(face); }
        return true;
      } catch (error) { return false; }
    })();
  }
  return fontsReady;
}

function money(amount) { return formatDong(amount); }

// The receipt's rows before wrapping (receipt._blocks), from the page's model:
// {shop_name, shop_address, title, heading, moment_text, cashier, lines: [{code,
// description, quantity, unit_price, discount, reason}], sale_discount,
// sale_discount_reason, total, cash, tendered, change, transfer, vietqr, footer, labels}.
export function blocks(r) {
  const L = r.labels;
  const rows = [{ left: r.shop_name, bold: true, large: true, center: true }];
  if (r.shop_address) { rows.push({ left: r.shop_address, center: true }); }
  rows.push({ kind: "space" });
  rows.push({ left: r.title, bold: true, center: true });
  rows.push({ left: r.heading, right: r.moment_text });
  if (r.cashier) { rows.push({ left: `${L.cashier}: ${r.cashier}` }); }
  if (r.lines.length) { rows.push({ kind: "rule" }); }
  for (const line of r.lines) {
    if (line.description && line.description.trim()) { rows.push({ left: line.description }); }
    const details = line.code ? [line.code] : [];
    if (line.quantity !== 1) { details.push(`${line.quantity} × ${formatDong(line.unit_price, false)}`); }
    rows.push({ left: "  " + details.join("  "), right: money(line.quantity * line.unit_price) });
    if (line.discount) {
      rows.push({ left: "  " + (line.reason ? `${L.discount}: ${line.reason}` : L.discount), right: money(-line.discount) });
    }
  }
  rows.push({ kind: "rule" });
  if (r.sale_discount) {
    rows.push({ left: L.subtotal, right: money(r.total + r.sale_discount) });
    rows.push({ left: r.sale_discount_reason ? `${L.discount}: ${r.sale_discount_reason}` : L.discount, right: money(-r.sale_discount) });
  }
  rows.push({ left: L.total, right: money(r.total), bold: true, large: true });
  if (r.cash) { rows.push({ left: L.cash, right: money(r.cash) }); }
  if (r.tendered) {
    rows.push({ left: L.tendered, right: money(r.tendered) });
    rows.push({ left: L.change, right: money(r.change), bold: true });
  }
  if (r.transfer) { rows.push({ left: L.transfer, right: money(r.transfer) }); }
  if (r.vietqr) {
    rows.push({ kind: "qr", left: r.vietqr });
    rows.push({ left: L.scan_to_pay + (r.transfer ? `: ${money(r.transfer)}` : ""), bold: true, center: true });
  }
  if (r.footer && r.footer.trim()) {
    rows.push({ kind: "rule" });
    for (const part of r.footer.trim().split(/\r?\n/)) { rows.push({ left: part, center: true }); }
  }
  return rows.map((row) => ({ kind: "text", left: "", right: "", ...row, left: clean(row.left || "") }));
}

function clean(text) {
  return text.normalize("NFC").replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

function wrap(text, width, measure) {
  const body = text.replace(/^ +/, "");
  const indent = text.slice(0, text.length - body.length);
  const lines = [];
  let current = "";
  let pending = "";
  for (const token of body.match(/[^ ]+| +/g) || []) {
    if (token.startsWith(" ")) { pending = token; continue; }
    const candidate = current ? current + pending + token : indent + token;
    pending = "";
    if (measure(candidate) <= width) { current = candidate; continue; }
    if (current) { lines.push(current); }
    current = indent + token;
    while (measure(current) > width && current.length > indent.length + 1) {
      let cut = current.length - 1;
      while (cut > indent.length + 1 && measure(current.slice(0, cut)) > width) { cut -= 1; }
      lines.push(current.slice(0, cut));
      current = indent + current.slice(cut);
    }
  }
  lines.push(current);
  return lines;
}

function layout(rows, width, measure) {
  const out = [];
  for (const row of rows) {
    if (row.kind !== "text") { out.push(row); continue; }
    const size = (text) => measure(text, row.bold, row.large);
    const lefts = row.left || !row.right ? wrap(row.left, width, size) : [];
    const lines = lefts.map((left) => ({ ...row, left, right: "" }));
    if (!row.right) { out.push(...lines); continue; }
    if (lines.length && size(lefts[lefts.length - 1] + MIN_GAP + row.right) <= width) {
      lines[lines.length - 1].right = row.right;
      out.push(...lines);
    } else {
      out.push(...lines, { ...row, left: "" });
    }
  }
  return out;
}

function qrModules(payload) {
  const code = qrcode(0, "M");
  code.addData(payload, "Byte");
  code.make();
  return code;
}

// The receipt `r` drawn on a new canvas `widthPx` dots wide (as tall as its rows need).
export function drawReceipt(r, { widthPx = 384, paperMm = 58, fonts = true } = {}) {
  const style = STYLES[paperMm] || STYLES[58];
  const family = fonts ? `${FAMILY}, "DejaVu Sans", sans-serif` : "sans-serif";
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  const fontOf = (bold, large) => `${bold ? 700 : 400} ${large ? style.large : style.body}px ${family}`;
  const measure = (text, bold, large) => { ctx.font = fontOf(bold, large); return ctx.measureText(text).width; };
  const inner = widthPx - 2 * style.margin;
  const rows = layout(blocks(r), inner, measure);
  const heights = rows.map((row) => {
    if (row.kind === "rule") { return style.body; }
    if (row.kind === "space") { return Math.floor(style.body / 3); }
    if (row.kind === "qr") { return qrSize(row.left, inner, Math.round(widthPx * QR_SHARE)).size; }
    ctx.font = fontOf(row.bold, row.large);
    const m = ctx.measureText("Ẩg");
    const size = row.large ? style.large : style.body;
    return Math.round(0.2 * size) + Math.ceil(m.fontBoundingBoxAscent) + Math.ceil(m.fontBoundingBoxDescent) + style.gap;
  });
  canvas.width = widthPx;
  canvas.height = heights.reduce((a, b) => a + b, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#000";
  let top = 0;
  rows.forEach((row, index) => {
    const height = heights[index];
    if (row.kind === "rule") {
      const y = top + Math.floor(height / 2);
      for (let x = style.margin; x < widthPx - style.margin; x += 13) {
        ctx.fillRect(x, y - 1, Math.min(x + 8, widthPx - style.margin) - x, 2);
      }
    } else if (row.kind === "qr") {
      const { code, scale, modules, size } = qrSize(row.left, inner, Math.round(widthPx * QR_SHARE));
      const left = Math.floor((widthPx - size) / 2);
      for (let y = 0; y < modules; y += 1) {
        for (let x = 0; x < modules; x += 1) {
          if (code.isDark(y, x)) { ctx.fillRect(left + (x + 4) * scale, top + (y + 4) * scale, scale, scale); }
        }
      }
    } else if (row.kind === "text") {
      ctx.font = fontOf(row.bold, row.large);
      const size = row.large ? style.large : style.body;
      const baseline = top + Math.round(0.2 * size) + Math.ceil(ctx.measureText("Ẩg").fontBoundingBoxAscent);
      ctx.textBaseline = "alphabetic";
      if (row.center) {
        ctx.textAlign = "center";
        ctx.fillText(row.left, Math.floor(widthPx / 2), baseline);
      } else {
        ctx.textAlign = "left";
        ctx.fillText(row.left, style.margin, baseline);
      }
      if (row.right) {
        ctx.textAlign = "right";
        ctx.fillText(row.right, widthPx - style.margin, baseline);
      }
    }
    top += height;
  });
  return canvas;
}

function qrSize(payload, maxPx, targetPx) {
  const code = qrModules(payload);
  const modules = code.getModuleCount();
  const whole = modules + 8; // a quiet zone of four modules each side
  let scale = Math.floor(targetPx / whole);
  if (scale < QR_MIN_SCALE) { scale = Math.min(QR_MIN_SCALE, Math.floor(maxPx / whole)); }
  scale = Math.max(1, scale);
  return { code, scale, modules, size: whole * scale };
}
