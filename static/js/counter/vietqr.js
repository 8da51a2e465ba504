// The transfer's VietQR code made in the page, for a sale rung up with no link. The server
// gives the payload's head for the shop's account and the words of the purpose around the
// sale's payment code (shop/services/transfers.offline_transfer); this writes the code
// (shop/domain/bank.reference_code: the prefix and "0", the ten digits of the sale's
// reference, their Damm digit), adds the amount, the country, the purpose and the CRC
// exactly as shop/domain/vietqr.payload does, and draws the code with the vendored
// qrcode-generator (error correction M, quiet zone 4).
import qrcode from "../../vendor/qrcode-generator/qrcode.mjs";

function tlv(tag, value) {
  return tag + String(value.length).padStart(2, "0") + value;
}

// CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF; four upper-case hex digits.
export function crc16(text) {
  let crc = 0xffff;
  for (let i = 0; i < text.length; i += 1) {
    crc ^= text.charCodeAt(i) << 8;
    for (let bit = 0; bit < 8; bit += 1) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc.toString(16).toUpperCase().padStart(4, "0");
}

// The sale's reference: the last characters of its client id, upper case (as its receipt
// on the device shows it).
export function reference(clientId, length) {
  return clientId.replace(/[^0-9A-Za-z]/g, "").slice(-length).toUpperCase();
}

// Damm's totally anti-symmetric quasigroup of order 10, as shop/domain/bank.py has it.
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

// The Damm check digit of a string of digits ("572" → "4"): a single wrong digit or two
// neighbours swapped give another digit, so a mistyped code names no sale.
export function dammDigit(digits) {
  let interim = 0;
  for (const char of digits) {
    const digit = char.charCodeAt(0) - 48;
    if (digit < 0 || digit > 9) { throw new RangeError(`not a digit: ${char}`); }
    interim = DAMM[interim][digit];
  }
  return String(interim);
}

// The ten digits standing for an 8-character hex reference (its value in decimal, zeros
// in front), or null when the reference is not 8 hex characters.
export function referenceDigits(ref, length = 10) {
  if (!/^[0-9A-F]{8}$/.test(ref)) { return null; }
  return String(parseInt(ref, 16)).padStart(length, "0");
}

// The payment code of a sale with no number yet: code_before ("NM0"), the ten digits of
// its reference and the Damm digit of "0" + those digits; null when the reference is not hex.
export function referenceCode(transfer, ref) {
  const digits = referenceDigits(ref, transfer.reference_digits);
  if (digits === null) { return null; }
  return transfer.code_before + digits + dammDigit("0" + digits);
}

// {payload, purpose} of the transfer of a sale with no number yet, or null when its
// reference cannot make a code.
export function transferPayload(transfer, amountDong, ref) {
  const code = referenceCode(transfer, ref);
  if (code === null) { return null; }
  const purpose = code + transfer.code_after;
  const body = transfer.head + tlv("54", String(amountDong)) + tlv("58", "VN") +
    tlv("62", tlv("08", purpose)) + "6304";
  return { payload: body + crc16(body), purpose };
}

// An SVG that scales whole (a viewBox, no fixed size), black on white.
export function qrSvg(payload) {
  const code = qrcode(0, "M");
  code.addData(payload, "Byte");
  code.make();
  return code.createSvgTag({ cellSize: 1, margin: 4, scalable: true });
}
