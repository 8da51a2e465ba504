// The markdown by days in stock, a mirror of shop/domain/pricing.py (for display only:
// the server works out every price again when the sale is recorded).

// Whole days from the local date of intake to the local date `on` ("YYYY-MM-DD"), ≥ 0.
export function daysInStock(receivedOn, on) {
  const ms = Date.parse(on + "T00:00:00Z") - Date.parse(receivedOn + "T00:00:00Z");
  return Math.max(0, Math.round(ms / 86400000));
}

// The step with the largest after_days not above days, or null.
export function markdownStep(days, steps) {
  let best = null;
  for (const step of steps) {
    if (step.after_days <= days && (best === null || step.after_days > best.after_days)) {
      best = step;
    }
  }
  return best;
}

// price less the step's percentage, rounded down to whole thousands of đồng.
export function markedDown(price, step) {
  if (step === null) { return price; }
  const reduced = Math.floor((price * (100 - step.percent_off)) / 100);
  return reduced - (reduced % 1000);
}

export function effectivePrice(price, days, steps) {
  return markedDown(price, markdownStep(days, steps));
}

// "YYYY-MM-DD" moved by ``days`` (whole calendar days), and the days from one to another.
export function addDays(day, days) {
  const moment = new Date(`${day}T00:00:00Z`);
  moment.setUTCDate(moment.getUTCDate() + days);
  return moment.toISOString().slice(0, 10);
}

export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000);
}

// Today's date in the shop's time zone ("YYYY-MM-DD"), from the device's clock.
export function localToday(timeZone, now = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(now);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}
