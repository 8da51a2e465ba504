"""The whole shop written out as one journal (schema "shop-journal", version 1)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shop.domain import count as count_rules
from shop.domain.count import DecisionKind
from shop.domain.pricing import month_key, policy_for_month
from shop.journal.policies import policy_entry
from shop.journal.problems import JournalError
from shop.journal.times import time_text
from shop.models import (
    BankSettings,
    BankTransaction,
    Category,
    ClosedMonth,
    CountDecision,
    CountScan,
    Disposal,
    DisposalKind,
    Donor,
    Expense,
    ExpenseCategory,
    Intake,
    IntakeKind,
    Item,
    Member,
    PaymentMethod,
    Payout,
    PolicyRow,
    PriceChange,
    Refund,
    Sale,
    SaleLine,
    Shift,
    ShopProfile,
    StockCount,
)
from shop.services.policy import policy_from_row

FORMAT = "shop-journal"
VERSION = 1


def export_journal(session: Session, *, timezone: ZoneInfo) -> dict[str, Any]:
    """The shop's whole history as a journal dict that passes :func:`check_journal`.

    Times are written in ``timezone`` (the shop's) with their offset, amounts in whole đồng,
    members by number, donors and intakes by ref, items and lots by code. Everything comes
    in a fixed order (policies by month, members by number, donors as they were added,
    intakes by ``received_at``, items and lots as they were tagged, price changes and
    disposals by ``at``, counts by number, shifts by ``opened_at``, sales by number,
    refunds by ``at``, expenses by date, payouts by the day they were paid, closed months
    oldest first, bank transactions as they were received; ties by the order they were
    recorded), and
    optional keys with nothing to say are left out, so exporting the same shop twice, or
    exporting what an import of this journal made, gives an equal dict.

    An expense is written as it stands now: the versions a correction replaced, and
    expenses that were removed, are the shop's own record and not part of the history a
    journal carries. A closed month is only named: its figures follow from the history.

    An item's ``price_dong`` is its price at intake; later prices are its price changes.
    A sale's payments are a cash entry (its cash part and the cash handed over) when it has
    a cash part or comes to nothing, and a transfer entry when it has a transfer part. A
    transfer sale still waiting for its confirmation is written like any other: the journal
    has no word for "waiting", so an import of it takes the transfer as arrived. A confirmed
    transfer says when (``confirmed_at``, where not at the sale's own moment) and which
    member confirmed it by hand (``confirmed_by``; none when the bank confirmed it).

    The stock counts are ``counts``, by number: each with its scans (as the shop took them
    in) and, once closed, its decisions. What a close wrote besides (an item's disposal of
    kind lost, a member's compensation as an expense) is said by its decisions alone, and
    left out of ``disposals`` and ``expenses``; the shop's rule for such a loss is
    ``shop.lost_item_pays``, and a count whose decisions show another rule (the setting
    changed since) names it.

    The bank inbox is ``bank_transactions``: each transaction as it was received and what it
    did, naming sales by number, a refund by its sale, code and moment, a payout by its
    member, month and day. The feed's settings go with the shop (``bank_feed``), never its
    keys nor its address. Raises
    :class:`JournalError` for a shop that has no profile (no name) yet. Only reads.
    """
    profile = session.get(ShopProfile, 1)
    if profile is None:
        raise JournalError("The shop has no name yet: set it up before exporting its journal.")
    numbers = {member_id: number for member_id, number in session.execute(_NUMBERS)}
    policy_rows = list(session.scalars(select(PolicyRow).order_by(PolicyRow.from_month)))
    policies = [(row.from_month, policy_from_row(row)) for row in policy_rows]
    donors = list(session.scalars(select(Donor).order_by(Donor.id)))
    intakes = list(session.scalars(select(Intake).order_by(Intake.received_at, Intake.id)))
    price_changes = list(
        session.scalars(select(PriceChange).order_by(PriceChange.at, PriceChange.id))
    )
    # A stock count's close is written once, in its decisions (see _count_entry).
    disposals = list(
        session.scalars(
            select(Disposal)
            .where(Disposal.kind != DisposalKind.LOST)
            .order_by(Disposal.at, Disposal.id)
        )
    )
    expenses = list(
        session.scalars(
            select(Expense)
            .where(Expense.removed_at.is_(None), Expense.category != ExpenseCategory.COMPENSATION)
            .order_by(Expense.spent_on, Expense.id)
        )
    )
    closed_months = list(session.scalars(select(ClosedMonth).order_by(ClosedMonth.month)))
    months = {closed.id: closed.month for closed in closed_months}
    payouts = list(
        session.scalars(
            select(Payout)
            .order_by(Payout.paid_on, Payout.id)
            .options(selectinload(Payout.corrections))
        )
    )
    shifts = list(session.scalars(select(Shift).order_by(Shift.opened_at, Shift.id)))
    sales = list(
        session.scalars(
            select(Sale)
            .order_by(Sale.number)
            .options(selectinload(Sale.lines), selectinload(Sale.void))
        )
    )
    refunds = list(
        session.scalars(
            select(Refund).order_by(Refund.at, Refund.id).options(selectinload(Refund.line))
        )
    )
    categories = dict(session.execute(select(Category.id, Category.name)).all())
    stock: dict[int, list[Item]] = defaultdict(list)
    for item in session.scalars(select(Item).order_by(Item.id)):
        stock[item.intake_id].append(item)
    codes = {item.id: item.code for items in stock.values() for item in items}
    donor_refs = {donor.id: donor.ref for donor in donors}
    intake_refs = {intake.id: intake.ref for intake in intakes}

    # The price an item came in at is the old price of its first change (in the order the
    # changes were made), or its price now if it never changed.
    first_price: dict[int, int] = {}
    for change in sorted(price_changes, key=lambda c: c.id):
        first_price.setdefault(change.item_id, change.old_price_dong)

    def item_entry(item: Item, intake: Intake) -> dict[str, Any]:
        entry: dict[str, Any] = {"code": item.code, "category": categories[item.category_id]}
        _put(entry, "description", item.description)
        if item.is_lot:
            entry["quantity"] = item.quantity_received
        else:
            _put(entry, "size", item.size)
            _put(entry, "condition", item.condition.value if item.condition else None)
        entry["price_dong"] = first_price.get(item.id, item.price_dong)
        if intake.kind == IntakeKind.CONSIGNMENT:
            entry["consignor_bp"] = _consignor_bp(item, intake, policies)
        return entry

    def intake_entry(intake: Intake) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "ref": intake.ref,
            "kind": intake.kind.value,
            "received_at": time_text(intake.received_at, timezone),
            "by": numbers[intake.by_id],
        }
        if intake.donor_id is not None:
            entry["donor"] = donor_refs[intake.donor_id]
        if intake.owner_id is not None:
            entry["owner"] = numbers[intake.owner_id]
        _put(entry, "supplier", intake.supplier)
        _put(entry, "note", intake.note)
        items = stock.get(intake.id, [])
        _put(entry, "items", [item_entry(i, intake) for i in items if not i.is_lot])
        _put(entry, "lots", [item_entry(i, intake) for i in items if i.is_lot])
        return entry

    journal: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "shop": _shop_entry(profile, session.get(BankSettings, 1), timezone),
    }
    _put(journal, "policies", [policy_entry(month, policy) for month, policy in policies])
    members = session.scalars(select(Member).order_by(Member.number))
    journal["members"] = [_member_entry(member) for member in members]
    _put(journal, "donors", [_donor_entry(donor) for donor in donors])
    _put(journal, "intakes", [intake_entry(intake) for intake in intakes])
    changes = [_price_change_entry(c, codes, numbers, timezone) for c in price_changes]
    _put(journal, "price_changes", changes)
    _put(journal, "shifts", [_shift_entry(shift, numbers, timezone) for shift in shifts])
    _put(journal, "sales", [_sale_entry(sale, codes, numbers, timezone) for sale in sales])
    sale_numbers = {sale.id: sale.number for sale in sales}
    _put(
        journal,
        "refunds",
        [_refund_entry(r, sale_numbers, codes, numbers, timezone) for r in refunds],
    )
    _put(journal, "disposals", [_disposal_entry(d, codes, numbers, timezone) for d in disposals])
    consignor_bp = {item.id: item.consignor_bp for items in stock.values() for item in items}
    counted = _CountWriter(session, profile, consignor_bp, numbers, timezone)
    _put(journal, "counts", [counted.entry(count) for count in counted.counts()])
    _put(journal, "expenses", [_expense_entry(e, intake_refs, numbers) for e in expenses])
    _put(journal, "payouts", [_payout_entry(p, months, numbers, timezone) for p in payouts])
    _put(journal, "closed_months", [closed.month for closed in closed_months])
    refund_keys = {r.id: _refund_key(r, sale_numbers, codes, timezone) for r in refunds}
    payout_keys = {p.id: _payout_key(p, months, numbers) for p in payouts}
    transactions = session.scalars(
        select(BankTransaction).order_by(BankTransaction.received_at, BankTransaction.id)
    )
    _put(
        journal,
        "bank_transactions",
        [
            _bank_entry(t, sale_numbers, refund_keys, payout_keys, numbers, timezone)
            for t in transactions
        ],
    )
    return journal


_NUMBERS = select(Member.id, Member.number)


def _shop_entry(
    profile: ShopProfile, feed: BankSettings | None, timezone: ZoneInfo
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": profile.name}
    _put(entry, "address", profile.address)
    entry["currency"] = "VND"
    entry["timezone"] = timezone.key
    entry["locale"] = profile.locale or "vi"
    if profile.bank_bin and profile.bank_account and profile.bank_account_name:
        entry["bank"] = {
            "bin": profile.bank_bin,
            "account": profile.bank_account,
            "account_name": profile.bank_account_name,
        }
    _put(entry, "receipt_footer", profile.receipt_footer)
    entry["lost_item_pays"] = profile.lost_item_pays
    if feed is not None:  # its keys never leave the shop
        feed_entry: dict[str, Any] = {}
        _put(feed_entry, "provider", feed.provider)
        feed_entry["code_prefix"] = feed.code_prefix
        feed_entry["check_days"] = feed.check_days
        if feed.feed_since is not None:
            feed_entry["feed_since"] = time_text(feed.feed_since, timezone)
        entry["bank_feed"] = feed_entry
    return entry


def _member_entry(member: Member) -> dict[str, Any]:
    entry: dict[str, Any] = {"number": member.number, "name": member.name}
    _put(entry, "phone", member.phone)
    entry["role"] = member.role.value
    entry["joined_on"] = member.joined_on.isoformat()
    _put(entry, "left_on", member.left_on.isoformat() if member.left_on else None)
    return entry


def _donor_entry(donor: Donor) -> dict[str, Any]:
    entry: dict[str, Any] = {"ref": donor.ref, "name": donor.name}
    _put(entry, "phone", donor.phone)
    _put(entry, "organisation", donor.organisation)
    return entry


def _price_change_entry(
    change: PriceChange, codes: dict[int, str], numbers: dict[int, int], timezone: ZoneInfo
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": codes[change.item_id],
        "at": time_text(change.at, timezone),
        "price_dong": change.price_dong,
        "by": numbers[change.by_id],
    }
    return _put(entry, "reason", change.reason)


def _disposal_entry(
    disposal: Disposal, codes: dict[int, str], numbers: dict[int, int], timezone: ZoneInfo
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": codes[disposal.item_id],
        "at": time_text(disposal.at, timezone),
        "kind": disposal.kind.value,
        "by": numbers[disposal.by_id],
    }
    return _put(entry, "note", disposal.note)


def _shift_entry(shift: Shift, numbers: dict[int, int], timezone: ZoneInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "member": numbers[shift.member_id],
        "opened_at": time_text(shift.opened_at, timezone),
    }
    if shift.closed_at is not None:
        entry["closed_at"] = time_text(shift.closed_at, timezone)
    entry["opening_float_dong"] = shift.opening_float_dong
    if shift.closed_at is not None:  # null: closed without a count
        entry["counted_cash_dong"] = shift.counted_cash_dong
    return _put(entry, "count_note", shift.count_note)


def _sale_entry(
    sale: Sale, codes: dict[int, str], numbers: dict[int, int], timezone: ZoneInfo
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "number": sale.number,
        "at": time_text(sale.at, timezone),
        "cashier": numbers[sale.cashier_id],
        "lines": [_line_entry(line, codes) for line in sale.lines],
    }
    if sale.discount_dong:
        entry["discount_dong"] = sale.discount_dong
        entry["discount_reason"] = sale.discount_reason
    payments: list[dict[str, Any]] = []
    if sale.cash_dong > 0 or sale.total_dong == 0:
        payments.append(
            {
                "method": PaymentMethod.CASH.value,
                "amount_dong": sale.cash_dong,
                "tendered_dong": sale.tendered_dong,
            }
        )
    if sale.transfer_dong > 0:
        payments.append({"method": PaymentMethod.TRANSFER.value, "amount_dong": sale.transfer_dong})
    entry["payments"] = payments
    if sale.transfer_dong > 0:
        if sale.confirmed_at is not None and sale.confirmed_at != sale.at:
            entry["confirmed_at"] = time_text(sale.confirmed_at, timezone)
        if sale.confirmed_by_id is not None:
            entry["confirmed_by"] = numbers[sale.confirmed_by_id]
    if sale.void is not None:
        entry["void"] = {
            "at": time_text(sale.void.at, timezone),
            "by": numbers[sale.void.by_id],
            "reason": sale.void.reason,
        }
    return entry


def _line_entry(line: SaleLine, codes: dict[int, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"code": codes[line.item_id]}
    if line.quantity != 1:
        entry["quantity"] = line.quantity
    entry["unit_price_dong"] = line.unit_price_dong
    if line.discount_dong:
        entry["discount_dong"] = line.discount_dong
        entry["discount_reason"] = line.discount_reason
    if line.short_pieces:
        entry["short_pieces"] = line.short_pieces
    return entry


def _refund_entry(
    refund: Refund,
    sale_numbers: dict[int, int],
    codes: dict[int, str],
    numbers: dict[int, int],
    timezone: ZoneInfo,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "at": time_text(refund.at, timezone),
        "sale": sale_numbers[refund.line.sale_id],
        "code": codes[refund.line.item_id],
    }
    if refund.quantity != 1:
        entry["quantity"] = refund.quantity
    entry["amount_dong"] = refund.amount_dong
    entry["method"] = refund.method.value
    entry["by"] = numbers[refund.by_id]
    entry["reason"] = refund.reason
    entry["restock"] = refund.restock
    return entry


def _refund_key(
    refund: Refund, sale_numbers: dict[int, int], codes: dict[int, str], timezone: ZoneInfo
) -> dict[str, Any]:
    """How a bank transaction names the refund it paid: its sale, code and moment."""
    return {
        "sale": sale_numbers[refund.line.sale_id],
        "code": codes[refund.line.item_id],
        "at": time_text(refund.at, timezone),
    }


def _payout_key(payout: Payout, months: dict[int, str], numbers: dict[int, int]) -> dict:
    """How a bank transaction names the payout it paid: its member, month and day."""
    return {
        "member": numbers[payout.member_id],
        "month": months[payout.closed_month_id],
        "paid_on": payout.paid_on.isoformat(),
    }


def _bank_entry(
    row: BankTransaction,
    sale_numbers: dict[int, int],
    refund_keys: dict[int, dict],
    payout_keys: dict[int, dict],
    numbers: dict[int, int],
    timezone: ZoneInfo,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"provider": row.provider, "provider_id": row.provider_id}
    _put(entry, "reference", row.reference)
    _put(entry, "account", row.account)
    entry["direction"] = row.direction.value
    entry["amount_dong"] = row.amount_dong
    _put(entry, "content", row.content)
    entry["at"] = time_text(row.at, timezone)
    entry["received_at"] = time_text(row.received_at, timezone)
    entry["via"] = row.via
    entry["signature_ok"] = row.signature_ok
    _put(entry, "raw", row.raw)
    entry["outcome"] = row.outcome.value
    _put(entry, "reason", row.reason.value if row.reason else None)
    _put(entry, "suggestions", list(row.suggestions or []))
    if row.sale_id is not None:
        entry["sale"] = sale_numbers[row.sale_id]
    if row.pays_sale:
        entry["pays_sale"] = True
    if row.refund_id is not None:
        entry["refund"] = dict(refund_keys[row.refund_id])
    if row.payout_id is not None:
        entry["payout"] = dict(payout_keys[row.payout_id])
    if row.resolved_at is not None:
        entry["resolved_at"] = time_text(row.resolved_at, timezone)
        entry["resolved_by"] = numbers[row.resolved_by_id]
    return _put(entry, "resolution", row.resolution)


class _CountWriter:
    """The stock counts as the journal writes them: by number, each with its scans in the
    order the shop took them in and its decisions in the order its close listed them.

    A close's disposals (kind lost) and compensations (expenses of category compensation)
    are not written elsewhere: the decisions say them, and an import's close writes them
    again. The rule a close paid a member's loss by is the shop's, unless its decisions
    show another (the setting was changed since): then the count says it."""

    def __init__(
        self,
        session: Session,
        profile: ShopProfile,
        consignor_bp: dict[int, int | None],
        numbers: dict[int, int],
        timezone: ZoneInfo,
    ):
        self.session = session
        self.shop_rule = count_rules.LostItemPays(profile.lost_item_pays)
        self.consignor_bp = consignor_bp
        self.numbers, self.tz = numbers, timezone
        self.scans: dict[int, list[CountScan]] = defaultdict(list)
        self.decisions: dict[int, list[CountDecision]] = defaultdict(list)

    def counts(self) -> list[StockCount]:
        found = list(
            self.session.scalars(
                select(StockCount)
                .order_by(StockCount.number)
                .options(selectinload(StockCount.categories))
            )
        )
        if found:
            scans = select(CountScan).order_by(CountScan.received_at, CountScan.id)
            for scan in self.session.scalars(scans):
                self.scans[scan.count_id].append(scan)
            decisions = select(CountDecision).order_by(CountDecision.id)
            for decision in self.session.scalars(decisions):
                self.decisions[decision.count_id].append(decision)
        return found

    def entry(self, count: StockCount) -> dict[str, Any]:
        numbers, tz = self.numbers, self.tz
        entry: dict[str, Any] = {
            "number": count.number,
            "opened_at": time_text(count.opened_at, tz),
            "opened_by": numbers[count.opened_by_id],
        }
        _put(entry, "categories", sorted(category.name for category in count.categories))
        _put(entry, "note", count.note)
        if count.closed_at is not None:
            entry["closed_at"] = time_text(count.closed_at, tz)
            entry["closed_by"] = numbers[count.closed_by_id]
        decisions = self.decisions.get(count.id, [])
        rule = self.rule_of(decisions)
        if rule is not None:
            entry["lost_item_pays"] = rule.value
        _put(entry, "scans", [self.scan_entry(scan) for scan in self.scans.get(count.id, [])])
        _put(entry, "decisions", [self.decision_entry(d) for d in decisions])
        return entry

    def rule_of(self, decisions: list[CountDecision]) -> count_rules.LostItemPays | None:
        """The rule the close applied, where its decisions show it was not the shop's."""
        paid = [
            (d.value_dong, self.consignor_bp.get(d.item_id), d.compensation_dong)
            for d in decisions
            if d.owner_id is not None and d.kind in (DecisionKind.LOST, DecisionKind.QUANTITY)
        ]
        return count_rules.rule_to_name(paid, self.shop_rule)

    def scan_entry(self, scan: CountScan) -> dict[str, Any]:
        entry: dict[str, Any] = {"client_id": scan.client_id, "code": scan.code}
        if scan.pieces != 1:
            entry["pieces"] = scan.pieces
        entry["by"] = self.numbers[scan.by_id]
        entry["scanned_at"] = time_text(scan.scanned_at, self.tz)
        entry["received_at"] = time_text(scan.received_at, self.tz)
        if scan.withdrawn_at is not None:
            entry["withdrawn_at"] = time_text(scan.withdrawn_at, self.tz)
            entry["withdrawn_by"] = self.numbers[scan.withdrawn_by_id]
        return entry

    def decision_entry(self, decision: CountDecision) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "code": decision.code,
            "difference": decision.difference.value,
            "kind": decision.kind.value,
        }
        _put(entry, "expected_pieces", decision.expected_pieces)
        _put(entry, "counted_pieces", decision.counted_pieces)
        if decision.value_dong:
            entry["value_dong"] = decision.value_dong
        if decision.compensation_dong:
            entry["compensation_dong"] = decision.compensation_dong
        if decision.owner_id is not None:
            entry["owner"] = self.numbers[decision.owner_id]
        return _put(entry, "note", decision.note)


def _expense_entry(
    expense: Expense, intake_refs: dict[int, str], numbers: dict[int, int]
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "on": expense.spent_on.isoformat(),
        "category": expense.category.value,
        "amount_dong": expense.amount_dong,
    }
    _put(entry, "note", expense.note)
    if expense.intake_id is not None:
        entry["intake"] = intake_refs[expense.intake_id]
    entry["by"] = numbers[expense.by_id]
    return entry


def _payout_entry(
    payout: Payout, months: dict[int, str], numbers: dict[int, int], tz: ZoneInfo
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "member": numbers[payout.member_id],
        "month": months[payout.closed_month_id],
        "amount_dong": payout.amount_dong,
        "paid_on": payout.paid_on.isoformat(),
        "method": payout.method.value,
    }
    if payout.corrections:
        entry["corrections"] = [
            {
                "amount_dong": correction.amount_dong,
                "reason": correction.reason,
                "at": time_text(correction.at, tz),
                "by": numbers[correction.by_id],
            }
            for correction in payout.corrections
        ]
    return entry


def _consignor_bp(item: Item, intake: Intake, policies) -> int:
    """The owner's share of a consigned item, in basis points.

    The item keeps its rate when its owner gives it to the group. Should a row ever lack it,
    the rate of the policy in force in the intake's month is the best that can be said.
    """
    if item.consignor_bp is not None:
        return item.consignor_bp
    return policy_for_month(policies, month_key(intake.received_on)).consignor_bp


def _put(entry: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """Set ``entry[key]`` unless ``value`` says nothing (``None``, ``""``, ``[]``)."""
    if value not in (None, "", []):
        entry[key] = value
    return entry
