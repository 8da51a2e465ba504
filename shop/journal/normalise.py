"""A journal in the one form the shop writes it, so two journals can be compared as dicts.

Many files say the same history: a default spelled out or left out, ``null`` or no key, a
time in UTC or in the shop's zone, entries in another order. :func:`normalise_journal`
turns a valid journal into the form :func:`shop.journal.export_journal` writes, so that
``export(import(journal)) == normalise_journal(journal)`` for every journal the shop takes.
"""

from __future__ import annotations

import copy
from typing import Any

from shop.domain.count import DecisionKind, Difference, LostItemPays, listed_order, rule_to_name
from shop.domain.pricing import month_key, policy_for_month
from shop.journal.policies import policy_entry, policy_of
from shop.journal.times import DEFAULT_TIMEZONE, parse_day, parse_time, time_text, zone

#: Top-level lists the schema lets a journal leave out; the shop leaves them out when empty.
OPTIONAL_SECTIONS = (
    "policies",
    "donors",
    "intakes",
    "price_changes",
    "shifts",
    "sales",
    "refunds",
    "disposals",
    "counts",
    "expenses",
    "payouts",
    "closed_months",
    "bank_transactions",
)


def normalise_journal(data: dict[str, Any]) -> dict[str, Any]:
    """A normalised copy of ``data``, a journal that passes :func:`check_journal`.

    What changes (and nothing else; texts are compared as written):

    - defaults the schema states are written out: ``shop.currency`` "VND",
      ``shop.timezone`` "Asia/Ho_Chi_Minh", ``shop.locale`` "vi",
      ``shop.lost_item_pays`` "owner_split", a member's ``role`` "member", an item's
      ``condition`` "good", a payout's ``method`` "cash", a policy's rates
      7000/1000/5000 bp, its
      ``markdown`` (docs/sharing.md's 30 days −25 %, 60 days −50 %, sorted by days) and
      ``clearance_after_days`` 90; a consigned item's or lot's ``consignor_bp`` is the
      one of the policy in force in its intake's month; a refund's ``restock`` true;
    - optional keys that say nothing are left out: ``null`` values (``phone``, ``left_on``,
      ``organisation`` …), empty texts (``address``, ``note``, ``description`` …), empty
      lists (an intake's ``items``/``lots``, top-level sections), a sale line's or a
      refund's ``quantity`` of 1, and a ``discount_dong`` of 0 with its ``discount_reason``;
    - a sale's payments are as the counter keeps them: first a cash entry, with its
      ``tendered_dong`` (the amount itself if not given), if any cash was paid or the sale
      comes to nothing; then one transfer entry for all its transfers, if any;
    - times are written in the shop's time zone with its offset (``…T09:00:00+07:00``);
    - a sale's ``confirmed_at`` at the sale's own moment is left out, as are a bank
      transaction's ``pays_sale`` false and its empty texts and suggestions;
    - a stock count's categories are sorted by name, its ``lost_item_pays`` named only
      where its decisions' compensations show a rule other than the shop's (as
      :func:`shop.domain.count.rule_to_name` tells), a scan's ``pieces`` of 1 and a
      decision's ``value_dong`` and ``compensation_dong`` of 0 left out; its scans are by
      ``received_at`` and its
      decisions in the order its close lists them (missing items, lots, found items,
      unknown tags; by code within each);
    - entries are in the shop's order: policies by month, members by number, intakes by
      ``received_at``, price changes and disposals by ``at``, counts by number, shifts by
      ``opened_at``,
      sales by number, refunds by ``at``, expenses by ``on``, payouts by ``paid_on``, bank
      transactions by ``received_at`` (ties keep the file's order), closed months oldest
      first; donors, items, lots and a sale's lines keep the file's order.
    """
    journal = copy.deepcopy(data)
    tz = _normalise_shop(journal["shop"])
    in_force = _normalise_policies(journal)
    _normalise_people(journal)
    _normalise_intakes(journal, tz, in_force)
    _normalise_stock_events(journal, tz)
    _normalise_counts(journal, tz)
    _normalise_shifts(journal, tz)
    _normalise_sales(journal, tz)
    _normalise_refunds(journal, tz)
    _normalise_money(journal)
    _normalise_bank_transactions(journal, tz)
    _drop_empty(journal, *OPTIONAL_SECTIONS)
    return journal


def _normalise_shop(shop: dict[str, Any]):
    """The shop's defaults written out; its time zone, which every time is written in."""
    tz = zone(shop.get("timezone", DEFAULT_TIMEZONE))
    if tz is None:
        raise ValueError("the journal's time zone is not known; check it first")
    shop.setdefault("currency", "VND")
    shop.setdefault("timezone", DEFAULT_TIMEZONE)
    shop.setdefault("locale", "vi")
    shop.setdefault("lost_item_pays", "owner_split")
    _drop_empty(shop, "address", "receipt_footer")
    if "feed_since" in shop.get("bank_feed", {}):
        shop["bank_feed"]["feed_since"] = time_text(parse_time(shop["bank_feed"]["feed_since"]), tz)
    return tz


def _normalise_policies(journal: dict[str, Any]) -> list:
    """Policies by month with their defaults; the policies in force, by month."""
    policies = []
    for entry in sorted(journal.get("policies", []), key=lambda p: p["from_month"]):
        policies.append(policy_entry(entry["from_month"], policy_of(entry)))
    journal["policies"] = policies
    return [(entry["from_month"], policy_of(entry)) for entry in policies]


def _normalise_people(journal: dict[str, Any]) -> None:
    """Members by number with their role; members and donors without empty keys."""
    for member in journal["members"]:
        member.setdefault("role", "member")
        _drop_empty(member, "phone", "left_on")
    journal["members"].sort(key=lambda m: m["number"])
    for donor in journal.get("donors", []):
        _drop_empty(donor, "phone", "organisation")


def _normalise_intakes(journal: dict[str, Any], tz, in_force: list) -> None:
    """Intakes by ``received_at``; an item's condition and a consigned entry's rate
    written out (the rate of the policy in force in the intake's month)."""
    for intake in journal.get("intakes", []):
        received_at = parse_time(intake["received_at"])
        intake["received_at"] = time_text(received_at, tz)
        _drop_empty(intake, "note", "items", "lots")
        month = month_key(received_at.astimezone(tz).date())
        consigned = intake["kind"] == "consignment"
        for item in intake.get("items", []):
            item.setdefault("condition", "good")
            _drop_empty(item, "description", "size")
        for entry in intake.get("items", []) + intake.get("lots", []):
            _drop_empty(entry, "description")
            if consigned:
                entry.setdefault("consignor_bp", policy_for_month(in_force, month).consignor_bp)
    journal.get("intakes", []).sort(key=lambda i: parse_time(i["received_at"]))


def _normalise_stock_events(journal: dict[str, Any], tz) -> None:
    """Price changes and disposals by ``at``."""
    for section in ("price_changes", "disposals"):
        for event in journal.get(section, []):
            event["at"] = time_text(parse_time(event["at"]), tz)
            _drop_empty(event, "reason", "note")
        journal.get(section, []).sort(key=lambda e: parse_time(e["at"]))


def _normalise_counts(journal: dict[str, Any], tz) -> None:
    """Counts by number, each as :func:`_normalise_count` writes it."""
    rates = {
        entry["code"]: entry.get("consignor_bp")
        for intake in journal.get("intakes", [])
        for entry in intake.get("items", []) + intake.get("lots", [])
    }
    shop_rule = LostItemPays(journal["shop"]["lost_item_pays"])
    for count in journal.get("counts", []):
        _normalise_count(count, tz, shop_rule, rates)
    journal.get("counts", []).sort(key=lambda c: c["number"])


def _normalise_shifts(journal: dict[str, Any], tz) -> None:
    """Shifts by ``opened_at``."""
    for shift in journal.get("shifts", []):
        for key in ("opened_at", "closed_at"):
            if key in shift:
                shift[key] = time_text(parse_time(shift[key]), tz)
    journal.get("shifts", []).sort(key=lambda s: parse_time(s["opened_at"]))


def _normalise_sales(journal: dict[str, Any], tz) -> None:
    """Sales by number, their payments as the counter keeps them."""
    for sale in journal.get("sales", []):
        sale["at"] = time_text(parse_time(sale["at"]), tz)
        for line in sale["lines"]:
            _drop_one(line, "quantity")
            _drop_no_discount(line)
        _drop_no_discount(sale)
        sale["payments"] = _payments(sale["payments"])
        if "confirmed_at" in sale:
            confirmed_at = parse_time(sale["confirmed_at"])
            if confirmed_at == parse_time(sale["at"]):
                del sale["confirmed_at"]
            else:
                sale["confirmed_at"] = time_text(confirmed_at, tz)
        if "void" in sale:
            sale["void"]["at"] = time_text(parse_time(sale["void"]["at"]), tz)
    journal.get("sales", []).sort(key=lambda s: s["number"])


def _normalise_refunds(journal: dict[str, Any], tz) -> None:
    """Refunds by ``at``, restocking unless they say not."""
    for refund in journal.get("refunds", []):
        refund["at"] = time_text(parse_time(refund["at"]), tz)
        _drop_one(refund, "quantity")
        refund.setdefault("restock", True)
    journal.get("refunds", []).sort(key=lambda r: parse_time(r["at"]))


def _normalise_money(journal: dict[str, Any]) -> None:
    """Expenses by ``on``, payouts by ``paid_on`` (in cash unless they say not), closed
    months oldest first."""
    for expense in journal.get("expenses", []):
        _drop_empty(expense, "note", "intake")
    journal.get("expenses", []).sort(key=lambda e: parse_day(e["on"]))
    for payout in journal.get("payouts", []):
        payout.setdefault("method", "cash")
    journal.get("payouts", []).sort(key=lambda p: parse_day(p["paid_on"]))
    if "closed_months" in journal:
        journal["closed_months"] = sorted(journal["closed_months"])


def _normalise_bank_transactions(journal: dict[str, Any], tz) -> None:
    """Bank transactions by ``received_at``, without what says nothing."""
    for row in journal.get("bank_transactions", []):
        for key in ("at", "received_at", "resolved_at"):
            if key in row:
                row[key] = time_text(parse_time(row[key]), tz)
        if "refund" in row:
            row["refund"]["at"] = time_text(parse_time(row["refund"]["at"]), tz)
        if row.get("pays_sale") is False:
            del row["pays_sale"]
        _drop_empty(row, "reference", "account", "content", "raw", "suggestions", "resolution")
    journal.get("bank_transactions", []).sort(key=lambda t: parse_time(t["received_at"]))


def _normalise_count(
    count: dict[str, Any], tz, shop_rule: LostItemPays, rates: dict[str, int | None]
) -> None:
    for key in ("opened_at", "closed_at"):
        if key in count:
            count[key] = time_text(parse_time(count[key]), tz)
    if "categories" in count:
        count["categories"] = sorted(count["categories"])
    # The rule is named where its close's compensations show it was not the shop's.
    paid = [
        (d.get("value_dong", 0), rates.get(d["code"]), d.get("compensation_dong", 0))
        for d in count.get("decisions", [])
        if "owner" in d and d["kind"] in (DecisionKind.LOST, DecisionKind.QUANTITY)
    ]
    named = rule_to_name(paid, shop_rule)
    count.pop("lost_item_pays", None)
    if named is not None:
        count["lost_item_pays"] = named.value
    _drop_empty(count, "categories", "note", "scans", "decisions")
    for scan in count.get("scans", []):
        for key in ("scanned_at", "received_at", "withdrawn_at"):
            if key in scan:
                scan[key] = time_text(parse_time(scan[key]), tz)
        _drop_one(scan, "pieces")
    count.get("scans", []).sort(key=lambda s: parse_time(s["received_at"]))
    for decision in count.get("decisions", []):
        for key in ("value_dong", "compensation_dong"):
            if decision.get(key) == 0:
                del decision[key]
        _drop_empty(decision, "note")
    count.get("decisions", []).sort(
        key=lambda d: listed_order(Difference(d["difference"]), d["code"])
    )


def _payments(payments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A sale's payments as the counter keeps them: a cash part and a transfer part."""
    cash = [payment for payment in payments if payment["method"] == "cash"]
    cash_dong = sum(payment["amount_dong"] for payment in cash)
    tendered_dong = sum(payment.get("tendered_dong", payment["amount_dong"]) for payment in cash)
    transfer_dong = sum(p["amount_dong"] for p in payments if p["method"] == "transfer")
    kept = []
    if cash_dong > 0 or transfer_dong == 0:
        kept.append({"method": "cash", "amount_dong": cash_dong, "tendered_dong": tendered_dong})
    if transfer_dong > 0:
        kept.append({"method": "transfer", "amount_dong": transfer_dong})
    return kept


def _drop_one(entry: dict[str, Any], key: str) -> None:
    if entry.get(key) == 1:
        del entry[key]


def _drop_no_discount(entry: dict[str, Any]) -> None:
    """No discount (0 đồng, or none given) needs no reason: both keys go."""
    if not entry.get("discount_dong"):
        entry.pop("discount_dong", None)
        entry.pop("discount_reason", None)


def _drop_empty(entry: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if key in entry and entry[key] in (None, "", []):
            del entry[key]
