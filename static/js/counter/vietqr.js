// The transfer's VietQR code made in the page, for a sale rung up with no link. The server
// gives the payload's head for the shop's account and the purpose's words before the
// sale's reference (shop/services/transfers.offline_transfer); this adds the amount, the
// country, the purpose and the CRC exactly as shop/domain/vietqr.payload does, and draws
// the code with the vendored qrcode-generator (error correction M, quiet zone 4).
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

export function transferPayload(transfer, amountDong, ref) {
  const purpose = transfer.purpose_before + ref;
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
