// The counter device sends a receipt to the printer itself, on the path the printer
// settings chose (shop.models.ReceiptPath):
//   rawbt    Android's RawBT app takes the ESC/POS bytes from a `rawbt:base64,<data>` link
//            and sends them to the printer chosen in it (Bluetooth, USB or Wi-Fi);
//   webusb   Chrome's WebUSB writes them to the USB printer's bulk OUT endpoint (the
//            printer is chosen once with the browser's own list, then remembered);
//   browser  the browser's own Print of the sale's receipt page, sized for the roll (it
//            cannot open the cash drawer).
// A failure is a PrintFailure whose `code` names the words the counter shows.

export class PrintFailure extends Error {
  constructor(code, detail = "") {
    super(detail || code);
    this.code = code;
  }
}

// ------------------------------------------------------------------ RawBT

// The link RawBT answers: its scheme and the bytes in base64 (RawBT's documented
// `rawbt:base64,` form; not URL-encoded, which would break "+", "/" and "=").
export function rawbtUrl(base64) { return `rawbt:base64,${base64}`; }

// Hand the link to Android, as a tap on it would: RawBT opens, prints and goes away; the
// counter page stays as it is.
export function sendRawbt(base64) {
  const link = document.createElement("a");
  link.href = rawbtUrl(base64);
  link.hidden = true;
  document.body.append(link);
  try { link.click(); } finally { link.remove(); }
}

// ------------------------------------------------------------------ WebUSB

export function webusbAvailable() { return Boolean(navigator.usb); }

// The browser's list of USB devices, to choose the printer once (needs her tap).
export async function chooseUsbPrinter() {
  if (!navigator.usb) { throw new PrintFailure("no_webusb"); }
  try {
    // Printers are USB class 7; many cheap ones say so only on their interface, which the
    // filter also matches.
    return await navigator.usb.requestDevice({ filters: [{ classCode: 7 }] });
  } catch (error) {
    throw new PrintFailure("no_usb_printer", String(error));
  }
}

function bulkOut(device) {
  for (const iface of device.configuration.interfaces) {
    for (const alternate of iface.alternates || [iface.alternate]) {
      const endpoint = (alternate.endpoints || []).find((e) => e.direction === "out" && e.type === "bulk");
      if (endpoint) { return { iface: iface.interfaceNumber, alternate, endpoint: endpoint.endpointNumber }; }
    }
  }
  return null;
}

const USB_CHUNK = 16 * 1024;

// A printer out of paper or with its cover open stops taking data, and WebUSB has no timeout
// of its own: a transfer waits for ever, and every receipt after it behind it. A chunk the
// printer has not taken after `waitMs` fails the receipt, which is then listed as not
// printed (a working printer takes a chunk in well under a second, or a few while it
// prints a long receipt).
export const usbLimits = { waitMs: 15000 };

function within(promise, ms) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Write `bytes` to the USB printer chosen before (the first one the browser remembers).
export async function sendWebusb(bytes) {
  if (!navigator.usb) { throw new PrintFailure("no_webusb"); }
  const [device] = await navigator.usb.getDevices();
  if (!device) { throw new PrintFailure("no_usb_printer"); }
  try {
    if (!device.opened) { await device.open(); }
    if (!device.configuration) { await device.selectConfiguration(1); }
    const out = bulkOut(device);
    if (!out) { throw new Error("no bulk OUT endpoint"); }
    const claimed = device.configuration.interfaces.find((i) => i.interfaceNumber === out.iface);
    if (!claimed || !claimed.claimed) { await device.claimInterface(out.iface); }
    for (let at = 0; at < bytes.length; at += USB_CHUNK) {
      const result = await within(device.transferOut(out.endpoint, bytes.subarray(at, at + USB_CHUNK)), usbLimits.waitMs);
      if (!result || result.status !== "ok" || result.bytesWritten !== Math.min(USB_CHUNK, bytes.length - at)) {
        throw new Error(`transfer ${result ? result.status : "lost"}`);
      }
    }
  } catch (error) {
    if (error instanceof PrintFailure) { throw error; }
    // A printer unplugged, switched off or stalled: closed (which ends a transfer still
    // waiting) and opened again from scratch on the next try.
    try { if (device.opened) { await within(device.close(), 2000); } } catch (ignored) { /* already gone */ }
    throw new PrintFailure("usb_failed", String(error));
  }
}

// ------------------------------------------------------------------ the browser's Print

// The receipt page in a frame of this page, printed from there: no window to close, and
// the counter stays where it was.
export function printPage(url, ms = 10000) {
  return new Promise((resolve, reject) => {
    const frame = document.createElement("iframe");
    frame.className = "print-frame";
    frame.setAttribute("aria-hidden", "true");
    frame.tabIndex = -1;
    frame.style.cssText = "position:fixed;right:0;bottom:0;width:1px;height:1px;border:0;opacity:0";
    const timer = setTimeout(() => { frame.remove(); reject(new PrintFailure("browser_failed", "timeout")); }, ms);
    frame.addEventListener("load", () => {
      clearTimeout(timer);
      try {
        const receipt = frame.contentDocument && frame.contentDocument.querySelector("main.receipt");
        if (!receipt) { throw new Error("not the receipt page"); }
        frame.contentWindow.focus();
        frame.contentWindow.print();
        resolve();
      } catch (error) {
        reject(new PrintFailure("browser_failed", String(error)));
      }
      setTimeout(() => frame.remove(), 60000); // the print dialog may still read it
    });
    frame.src = url;
    document.body.append(frame);
  });
}
