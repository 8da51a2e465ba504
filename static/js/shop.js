// Small helpers for the pages. Every page works without this file; it only saves taps.
"use strict";

// <section data-show-when="kind=donation consignment"> shows only while the field named
// "kind" has one of those values; "is_lot=checked" follows a checkbox.
function applyShowWhen(form) {
  form.querySelectorAll("[data-show-when]").forEach(function (part) {
    var rule = part.getAttribute("data-show-when").split("=");
    var name = rule[0];
    var wanted = rule[1].split(" ");
    var fields = form.querySelectorAll('[name="' + name + '"]');
    var value = null;
    fields.forEach(function (field) {
      if (field.type === "checkbox") { value = field.checked ? "checked" : "unchecked"; }
      else if (field.type === "radio") { if (field.checked) { value = field.value; } }
      else { value = field.value; }
    });
    part.hidden = wanted.indexOf(value) === -1;
  });
}

// <form data-suggestions='{"3:good": 50000}'>: fill the price from the category and
// condition chosen, until she types a price herself. A suggested price never stays for a
// category and condition that have none (it would go on the wrong tag): the box empties.
function suggestPrice(form) {
  var table = JSON.parse(form.getAttribute("data-suggestions") || "{}");
  var price = form.querySelector('[name="price_dong"]');
  if (!price || price.dataset.typed === "1") { return; }
  var category = form.querySelector('[name="category"]');
  var condition = form.querySelector('[name="condition"]:checked') ||
    form.querySelector('select[name="condition"]');
  if (!category || !condition) { return; }
  var suggested = table[category.value + ":" + condition.value];
  price.value = suggested ? suggested.toLocaleString("vi-VN").replace(/,/g, ".") : "";
}

document.addEventListener("DOMContentLoaded", function () {
  // Browsers skip autofocus after some navigations; the scan box must have the focus so a
  // USB scanner's code lands in it.
  var first = document.querySelector("[autofocus]");
  if (first && document.activeElement !== first) { first.focus(); }
  // A refused form comes back with its first message in view: the folded panel holding it
  // opened, the message brought to the middle of the screen, the cursor in its field.
  var invalid = document.querySelector('[aria-invalid="true"], .field.has-error');
  if (invalid) {
    for (var node = invalid.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
    var box = invalid.closest(".field") || invalid;
    var input = invalid.matches("input, select, textarea") ? invalid : box.querySelector("input, select, textarea");
    box.scrollIntoView({ block: "center" });
    if (input) { input.focus({ preventScroll: true }); }
  }
  document.querySelectorAll("form").forEach(function (form) {
    applyShowWhen(form);
    form.addEventListener("change", function () { applyShowWhen(form); });
    if (form.hasAttribute("data-suggestions")) {
      var price = form.querySelector('[name="price_dong"]');
      if (price) {
        if (price.value) { price.dataset.typed = "1"; }
        price.addEventListener("input", function () { price.dataset.typed = price.value ? "1" : ""; });
      }
      suggestPrice(form);
      form.addEventListener("change", function (event) {
        if (event.target.name !== "price_dong") { suggestPrice(form); }
      });
    }
  });
});

// <div data-print-status="/printer/sales/12/status" data-status="queued">: follow a
// receipt's print job for a minute after the sale, so the cashier sees whether it printed.
function followPrint(box) {
  var text = box.querySelector('[data-testid="print-status"] span');
  var tries = 0;
  function look() {
    tries += 1;
    fetch(box.getAttribute("data-print-status"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (text && job.message) { text.textContent = job.message; }
        var failed = job.status === "failed" || (job.status !== "printed" && job.attempts > 0);
        box.classList.toggle("failed", failed);
        if ((job.status === "queued" || job.status === "sending") && tries < 30) {
          window.setTimeout(look, 2000);
        }
      })
      .catch(function () { if (tries < 30) { window.setTimeout(look, 4000); } });
  }
  window.setTimeout(look, 1000);
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print-status]").forEach(function (box) {
    var status = box.getAttribute("data-status");
    if (status === "queued" || status === "sending") { followPrint(box); }
  });
});

// Who is signed in on this device, for the count pages' service worker: a scanning page it
// kept (with her name and her session's token) answers only while she is the one signed in,
// and is dropped as soon as a page shows someone else, or no one (signed out).
function rememberWhoIsSignedIn() {
  var meta = document.querySelector('meta[name="shop-member"]');
  if (!meta || !window.caches) { return; }
  var member = meta.getAttribute("content") || "";
  caches.open("shop-signed-in").then(function (marker) {
    return marker.match("/signed-in").then(function (was) {
      return was ? was.text() : null;
    }).then(function (was) {
      if (was === member) { return null; }
      return marker.put("/signed-in", new Response(member)).then(function () {
        return caches.has("stock-count-pages");
      }).then(function (has) {
        if (!has) { return null; }
        return caches.open("stock-count-pages").then(function (kept) {
          return kept.keys().then(function (requests) {
            return Promise.all(requests.map(function (request) {
              return kept.match(request).then(function (page) {
                if (!page || page.headers.get("X-Shop-Member") !== member) { return kept.delete(request); }
                return null;
              });
            }));
          });
        });
      });
    });
  }).catch(function () { /* no Cache Storage here: nothing is kept either */ });
}
rememberWhoIsSignedIn();

// Signing out with sales still waiting in the counter's outbox asks first (they stay on
// the device and the next cashier's counter sends them).
function unsentSales(done) {
  if (!window.indexedDB) { done(0); return; }
  var request = indexedDB.open("shop-counter");
  request.onupgradeneeded = function () { request.transaction.abort(); };
  request.onerror = function () { done(0); };
  request.onsuccess = function () {
    var db = request.result;
    if (!db.objectStoreNames.contains("outbox")) { db.close(); done(0); return; }
    var count = db.transaction("outbox").objectStore("outbox").count();
    count.onsuccess = function () { db.close(); done(count.result); };
    count.onerror = function () { db.close(); done(0); };
  };
}

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute || !form.hasAttribute("data-unsent-question") || form.dataset.asked) { return; }
  event.preventDefault();
  unsentSales(function (count) {
    var question = form.getAttribute("data-unsent-question").replace("%(count)s", count);
    if (count === 0 || window.confirm(question)) { form.dataset.asked = "1"; form.submit(); }
  });
});

// <form data-confirm="Question?">: asked before it is sent (emptying a cart, say).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute || !form.hasAttribute("data-confirm")) { return; }
  if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
});

// The refund form: "Amount to give back" starts from what is left to give back on the chosen
// line (data-left), or in cash the part of it that can be handed over (data-left-cash, the
// server's cash_to_hand_over: no coins under 1.000 ₫), until she types an amount herself.
function fillRefund(form) {
  var amount = form.querySelector('[name="amount_dong"]');
  var option = form.querySelector('[name="line"] option:checked');
  if (!amount || !option || amount.dataset.typed === "1") { return; }
  var cash = form.querySelector('[name="method"]:checked, select[name="method"]');
  var inCash = cash && cash.value === "cash";
  var value = Number(option.getAttribute(inCash ? "data-left-cash" : "data-left") || 0);
  amount.value = value > 0 ? value.toLocaleString("vi-VN").replace(/,/g, ".") : "";
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-refund-form]").forEach(function (form) {
    var amount = form.querySelector('[name="amount_dong"]');
    if (amount) {
      if (amount.value) { amount.dataset.typed = "1"; }
      amount.addEventListener("input", function () { amount.dataset.typed = amount.value ? "1" : ""; });
    }
    fillRefund(form);
    form.addEventListener("change", function (event) {
      if (event.target.name !== "amount_dong") { fillRefund(form); }
    });
  });
});

// A stock count's result: the value lost and the compensation follow the choices as she
// taps them (the server worked them out for the choices the page came with).
document.addEventListener("change", function (event) {
  var form = event.target.form;
  if (!form || !form.hasAttribute("data-loss")) { return; }
  var value = 0;
  var owed = 0;
  form.querySelectorAll("[data-difference]").forEach(function (row) {
    var chosen = row.querySelector("input[type=radio]:checked");
    if (chosen && chosen.hasAttribute("data-costs")) {
      value += Number(row.getAttribute("data-value"));
      owed += Number(row.getAttribute("data-compensation"));
    }
  });
  function dong(amount) { return String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".") + "\u00a0₫"; }
  form.querySelector("#loss-value").textContent = dong(value);
  form.querySelector("#loss-compensation").textContent = dong(owed);
});
