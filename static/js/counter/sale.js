// A sale's arithmetic for display, as shop/domain/sale.py `totals` and `payment` do it.
import { MAX_DONG, splitLargestRemainder } from "./money.js";

export class SaleError extends Error {
  constructor(code, line = null) { super(code); this.code = code; this.line = line; }
}

// lines: [{unit_price_dong, quantity, discount_dong}] → {gross, nets, parts, total}.
export function totals(lines, saleDiscount = 0) {
  if (!lines.length) { throw new SaleError("empty"); }
  lines.forEach((line, index) => {
    if (!Number.isInteger(line.quantity) || line.quantity < 1) { throw new SaleError("quantity", index); }
    if (!(line.unit_price_dong >= 0 && line.unit_price_dong <= MAX_DONG)) { throw new SaleError("price", index); }
    const gross = line.unit_price_dong * line.quantity;
    if (!(line.discount_dong >= 0 && line.discount_dong <= gross)) { throw new SaleError("line_discount", index); }
  });
  const bases = lines.map((l) => l.unit_price_dong * l.quantity - l.discount_dong);
  const sum = bases.reduce((a, b) => a + b, 0);
  if (!(saleDiscount >= 0 && saleDiscount <= sum)) { throw new SaleError("sale_discount"); }
  const parts = saleDiscount && sum ? splitLargestRemainder(saleDiscount, bases) : bases.map(() => 0);
  const nets = bases.map((b, i) => b - parts[i]);
  return {
    gross: lines.reduce((a, l) => a + l.unit_price_dong * l.quantity, 0),
    parts,
    nets,
    total: nets.reduce((a, b) => a + b, 0),
  };
}

// {cash, transfer, tendered, change}, or SaleError transfer / tendered.
export function payment(total, transfer = 0, tendered = null) {
  if (!(transfer >= 0 && transfer <= total)) { throw new SaleError("transfer"); }
  const cash = total - transfer;
  const given = tendered === null ? cash : tendered;
  if (given < cash || given > MAX_DONG) { throw new SaleError("tendered"); }
  if (cash === 0 && given) { throw new SaleError("tendered"); }
  return { cash, transfer, tendered: given, change: given - cash };
}
