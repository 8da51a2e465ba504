// Money in whole đồng, as shop/domain/money.py does it: the same parser, the same format.
// Amounts are Numbers of whole đồng (safe up to MAX_DONG); the parser works in BigInt.

export const MAX_DONG = 100_000_000_000;

const SUFFIX_FACTOR = { k: 1000n, ng: 1000n, "nghìn": 1000n, "ngàn": 1000n, tr: 1000000n, "triệu": 1000000n };
const CURRENCY = /(₫|đồng|đ|vnd)$/i;
const NUMBER = /^(\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+|\d+)(?:[.,](\d+))?$/;
const SUFFIXED = /^([\d.,]+?)\s*(k|ng|nghìn|ngàn|tr|triệu)(\d*)$/;

export class MoneyError extends Error {
  constructor(code) { super(code); this.code = code; }
}

// What a person types for an amount → whole đồng (a Number ≥ 0), or a MoneyError whose
// code is empty, invalid, negative, fraction or too_large (as parse_dong raises).
export function parseDong(text) {
  let value;
  if (typeof text === "number") {
    if (!Number.isInteger(text)) { throw new MoneyError("invalid"); }
    value = BigInt(text);
  } else if (typeof text === "string") {
    value = parseText(text);
  } else {
    throw new MoneyError("invalid");
  }
  if (value < 0n) { throw new MoneyError("negative"); }
  if (value > BigInt(MAX_DONG)) { throw new MoneyError("too_large"); }
  return Number(value);
}

function parseText(text) {
  let cleaned = text.trim().toLowerCase().replace(/\u00a0/g, " ");
  if (!cleaned) { throw new MoneyError("empty"); }
  if (cleaned.startsWith("-")) {
    parseText(cleaned.slice(1)); // "negative" only when the rest is a real amount
    throw new MoneyError("negative");
  }
  cleaned = cleaned.replace(CURRENCY, "").trim().replace(/ /g, "");
  if (!cleaned) { throw new MoneyError("invalid"); }
  const suffixed = SUFFIXED.exec(cleaned);
  if (suffixed) {
    const factor = SUFFIX_FACTOR[suffixed[2]];
    let [whole, numerator, denominator] = number(suffixed[1], true);
    const rest = suffixed[3];
    if (rest) {
      if (denominator !== 1n) { throw new MoneyError("invalid"); }
      numerator = BigInt(rest);
      denominator = 10n ** BigInt(rest.length);
    }
    const fraction = numerator * factor;
    if (fraction % denominator) { throw new MoneyError("fraction"); }
    return whole * factor + fraction / denominator;
  }
  return number(cleaned, false)[0];
}

function number(text, allowFraction) {
  const match = NUMBER.exec(text);
  if (!match) { throw new MoneyError("invalid"); }
  const digits = match[1].replace(/[.,]/g, "");
  const frac = match[2];
  if (digits.length > 15) { throw new MoneyError("too_large"); }
  if (frac === undefined) { return [BigInt(digits), 0n, 1n]; }
  if (!allowFraction) { throw new MoneyError(frac.length < 3 ? "fraction" : "invalid"); }
  if (frac.length > 6) { throw new MoneyError("invalid"); }
  return [BigInt(digits), BigInt(frac), 10n ** BigInt(frac.length)];
}

// 45000 → "45.000 ₫" (a no-break space before the ₫), like format_dong.
export function formatDong(amount, symbol = true) {
  const sign = amount < 0 ? "-" : "";
  const grouped = String(Math.abs(amount)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return symbol ? `${sign}${grouped}\u00a0₫` : `${sign}${grouped}`;
}

// split_largest_remainder: parts of total over weights, the leftover units one each to the
// largest fractional parts (ties to the earlier one).
export function splitLargestRemainder(total, weights) {
  const sum = weights.reduce((a, w) => a + BigInt(w), 0n);
  if (total < 0) { return splitLargestRemainder(-total, weights).map((p) => -p); }
  const big = BigInt(total);
  const parts = [];
  const remainders = [];
  weights.forEach((w, index) => {
    const product = big * BigInt(w);
    parts.push(product / sum);
    remainders.push([product % sum, index]);
  });
  let left = big - parts.reduce((a, p) => a + p, 0n);
  remainders.sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] > b[0] ? -1 : 1));
  for (const [, index] of remainders) {
    if (left <= 0n) { break; }
    parts[index] += 1n;
    left -= 1n;
  }
  return parts.map(Number);
}
