// ESC/POS bytes made in the page, for a receipt the counter device prints itself (RawBT,
// WebUSB) when the server's own bytes cannot be had (a sale rung up with no link). The
// receipt is drawn as an image (every Vietnamese letter right on any printer), cut to black
// and white at one grey level, and sent as `GS v 0` raster bands exactly as the server's
// python-escpos does for the same 1-bit image: `ESC @`, bands of at most 960 rows, the
// drawer's kick when asked, then the cut (or a feed past the tear bar).

const ESC = 0x1b;
const GS = 0x1d;

// Rows per `GS v 0` command (shop/printing/escpos_out.RASTER_BAND_DOTS).
export const BAND_ROWS = 960;
// Grey levels below this become black (shop/printing/receipt._THRESHOLD).
export const THRESHOLD = 160;
// Lines fed before the cut, or past the tear bar without a cutter (python-escpos's cut()
// and escpos_out.TEAR_OFF_FEED_LINES).
const CUT_FEED_LINES = 6;
const TEAR_OFF_FEED_LINES = 5;

// A 1-bit image: {width, height, black}, `black` one byte a dot (1 black, 0 white), row by
// row. From canvas pixels: each dot's grey as Pillow's "L" conversion makes it
// (R·299 + G·587 + B·114) / 1000, drawn over white, black below `level`.
export function toBits(imageData, level = THRESHOLD) {
  const { width, height, data } = imageData;
  const black = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < black.length; i += 1, p += 4) {
    const alpha = data[p + 3];
    const over = (c) => (alpha === 255 ? c : Math.round((c * alpha + 255 * (255 - alpha)) / 255));
    const grey = (over(data[p]) * 19595 + over(data[p + 1]) * 38470 + over(data[p + 2]) * 7471 + 0x8000) >> 16;
    black[i] = grey < level ? 1 : 0;
  }
  return { width, height, black };
}

// Rows `from`..`to` of `image` packed as raster data: whole bytes a row, the leftmost dot
// in the high bit, a set bit printed black, the last byte padded with white.
export function packRows(image, from, to) {
  const widthBytes = Math.ceil(image.width / 8);
  const out = new Uint8Array(widthBytes * (to - from));
  for (let y = from; y < to; y += 1) {
    const row = (y - from) * widthBytes;
    const start = y * image.width;
    for (let x = 0; x < image.width; x += 1) {
      if (image.black[start + x]) { out[row + (x >> 3)] |= 0x80 >> (x & 7); }
    }
  }
  return out;
}

// `image` as `GS v 0` commands (normal density, mode 0), one per band of BAND_ROWS rows.
export function raster(image, bandRows = BAND_ROWS) {
  const widthBytes = Math.ceil(image.width / 8);
  const parts = [];
  for (let top = 0; top < image.height; top += bandRows) {
    const rows = Math.min(bandRows, image.height - top);
    parts.push(Uint8Array.of(GS, 0x76, 0x30, 0, widthBytes & 0xff, widthBytes >> 8, rows & 0xff, rows >> 8));
    parts.push(packRows(image, top, top + rows));
  }
  return concat(parts);
}

// Only the cash drawer's kick on connector pin 2 or 5 (ESC p m 50 50, as python-escpos).
export function drawerKick(pin) {
  if (pin !== 2 && pin !== 5) { throw new RangeError(`drawer pin must be 2 or 5, not ${pin}`); }
  return Uint8Array.of(ESC, 0x70, pin === 2 ? 0 : 1, 0x32, 0x32);
}

// The whole job for a receipt image: ESC @, the raster, the drawer's kick on `drawerPin`
// (0: none), then the cut (`cutter`) or a feed past the tear bar.
export function receiptJob(image, { drawerPin = 0, cutter = true } = {}) {
  const parts = [Uint8Array.of(ESC, 0x40), raster(image)];
  if (drawerPin) { parts.push(drawerKick(drawerPin)); }
  parts.push(cutter ? Uint8Array.of(ESC, 0x64, CUT_FEED_LINES, GS, 0x56, 0) : Uint8Array.of(ESC, 0x64, TEAR_OFF_FEED_LINES));
  return concat(parts);
}

// Nothing printed, only the drawer opened (a cash sale when receipts are not printed).
export function drawerJob(pin) { return concat([Uint8Array.of(ESC, 0x40), drawerKick(pin)]); }

export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

export function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}
