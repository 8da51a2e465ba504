"""Shifts opening and closing, price changes, sales, voids and refunds in a row are written
together (``counter.enter_past_run``), and intakes (``stock.receive_intakes``): the shop must
come out of an import exactly as if each had been entered alone (``open_shift``,
``enter_past_sale``, ``change_price``, ``void_sale``, ``refund_line``, ``close_shift``,
``receive_intake``), down to the stock rounds, the rail numbers, the drawers and the audit
log."""

from __future__ import annotations

import re

from sqlalchemy import text

from bench.generate import generate
from shop.journal import export_journal, import_journal
from shop.services import counter, stock

from .conftest import wipe
from .test_round_trip import TZ, build_shop, run_the_counter

#: Each table by natural keys, never by ids (a wiped table may not start its ids again).
DUMPS = {
    "sale": """SELECT s.number, s.client_id, s.at, c.number, sh.opened_at, e.number,
        s.discount_dong, s.discount_reason, s.total_dong, s.cash_dong, s.transfer_dong,
        s.tendered_dong, s.confirmed_at, b.number
        FROM sale s JOIN member c ON c.id = s.cashier_id JOIN member e ON e.id = s.entered_by_id
        LEFT JOIN shift sh ON sh.id = s.shift_id LEFT JOIN member b ON b.id = s.confirmed_by_id
        ORDER BY s.number""",
    "sale_line": """SELECT s.number, l.position, i.code, l.stock_round, l.quantity,
        l.tag_price_dong, l.unit_price_dong, l.discount_dong, l.discount_reason,
        l.sale_discount_dong, l.net_dong, o.number, l.consignor_bp, l.short_pieces
        FROM sale_line l JOIN sale s ON s.id = l.sale_id JOIN item i ON i.id = l.item_id
        LEFT JOIN member o ON o.id = l.owner_id ORDER BY s.number, l.position""",
    "item": """SELECT i.code, n.ref, c.name, i.is_lot, i.description, i.size, i.condition,
        i.price_dong, i.consignor_bp, o.number, i.received_on, i.status, i.quantity_received,
        i.quantity_on_hand, i.times_sold, i.rail_version, i.search_text
        FROM item i JOIN intake n ON n.id = i.intake_id JOIN category c ON c.id = i.category_id
        LEFT JOIN member o ON o.id = i.owner_id ORDER BY i.code""",
    "intake": """SELECT n.ref, n.kind, n.received_at, n.received_on, b.number, d.ref, o.number,
        n.supplier, n.note FROM intake n JOIN member b ON b.id = n.by_id
        LEFT JOIN donor d ON d.id = n.donor_id LEFT JOIN member o ON o.id = n.owner_id
        ORDER BY n.ref""",
    "category": "SELECT name, position FROM category ORDER BY position, name",
    # (not its moment: some actions of an import are stamped with the time it runs)
    "audit": """SELECT action, subject, CAST(detail AS TEXT) AS d FROM audit_event
        ORDER BY action, subject, d""",
    "shift": """SELECT m.number, sh.opened_at, sh.closed_at, sh.opening_float_dong,
        sh.counted_cash_dong, sh.expected_cash_dong, b.number, sh.count_note
        FROM shift sh JOIN member m ON m.id = sh.member_id
        LEFT JOIN member b ON b.id = sh.closed_by_id ORDER BY sh.opened_at, m.number""",
    "sequence": "SELECT name, value FROM sequence ORDER BY name",
    "refund": """SELECT s.number, l.position, r.at, b.number, sh.opened_at, r.quantity,
        r.amount_dong, r.method, r.reason, r.restock, r.client_id
        FROM refund r JOIN sale_line l ON l.id = r.sale_line_id JOIN sale s ON s.id = l.sale_id
        JOIN member b ON b.id = r.by_id LEFT JOIN shift sh ON sh.id = r.shift_id
        ORDER BY s.number, l.position, r.at, r.amount_dong""",
    "void": """SELECT s.number, v.at, b.number, v.reason, v.client_id FROM void v
        JOIN sale s ON s.id = v.sale_id JOIN member b ON b.id = v.by_id ORDER BY s.number""",
    "price_change": """SELECT i.code, p.at, p.old_price_dong, p.price_dong, b.number, p.reason
        FROM price_change p JOIN item i ON i.id = p.item_id JOIN member b ON b.id = p.by_id
        ORDER BY i.code, p.at, p.id""",
}


def dump(session) -> dict[str, list[tuple]]:
    session.flush()
    rows = {name: [tuple(row) for row in session.execute(text(sql))] for name, sql in DUMPS.items()}
    # An audit subject that names a row by its id ("expense 3") names it by kind alone.
    rows["audit"] = sorted(
        (action, ID_SUBJECT.sub(r"\1", subject), detail)
        for action, subject, detail in rows["audit"]
    )
    return rows


ID_SUBJECT = re.compile(r"^(expense|shift|refund|payout|disposal|count) \d+$")


def import_both_ways(app, session, journal, monkeypatch) -> tuple[dict, dict, object]:
    together = import_journal(session, journal, app_config=app.config)
    rows = dump(session)
    wipe(session)
    with monkeypatch.context() as patch:
        patch.setattr(counter, "enter_past_run", lambda session, events, *, tz: [])
        patch.setattr(stock, "dispose_all", lambda session, disposals, *, tz: [])
        patch.setattr(stock, "receive_intakes", lambda session, intakes, *, tz: [])
        alone = import_journal(session, journal, app_config=app.config)
    assert together == alone
    return rows, dump(session), together


def counting_runs(monkeypatch) -> list[list[str]]:
    """The kinds of the events each call of ``counter.enter_past_run`` took, call by call."""
    calls = []
    real = counter.enter_past_run

    def counted(session, events, *, tz):
        entered = real(session, events, tz=tz)
        calls.append([type(event).__name__ for event in events[: len(entered)]])
        return entered

    monkeypatch.setattr(counter, "enter_past_run", counted)
    return calls


def test_the_counters_history_comes_out_the_same_entered_together(app, session, monkeypatch):
    run_the_counter(session, build_shop(session))
    journal = export_journal(session, timezone=TZ)
    wipe(session)

    with monkeypatch.context() as patch:
        calls = counting_runs(patch)
        together, alone, summary = import_both_ways(app, session, journal, patch)

    assert summary.sales > 5
    taken = [name for call in calls for name in call]
    # Its void, its price changes and some of its refunds went in with the sales around them.
    assert taken.count("PastVoid") == summary.voids == 1
    assert taken.count("PastPriceChange") == summary.price_changes == 3
    assert 0 < taken.count("PastRefund") <= summary.refunds
    for name in DUMPS:
        assert together[name] == alone[name], name
    assert export_journal(session, timezone=TZ) == journal


def test_a_generated_history_comes_out_the_same_entered_together(app, session, monkeypatch):
    # Three years of the benchmark's shop, small: lots, refunds that put an item back and
    # its second sale, transfers the bank confirmed, discounts, sales from the notebook.
    journal = generate(0.003, last_month_sales=300)
    wipe(session)
    calls = []
    real = counter.enter_past_run

    def counted(session, events, *, tz):
        entered = real(session, events, tz=tz)
        taken = events[: len(entered)]
        calls.append([type(event).__name__ for event in taken])
        return entered

    monkeypatch.setattr(counter, "enter_past_run", counted)
    disposed = []
    real_disposals = stock.dispose_all

    def disposals_counted(session, disposals, *, tz):
        entered = real_disposals(session, disposals, tz=tz)
        disposed.append(len(entered))
        return entered

    monkeypatch.setattr(stock, "dispose_all", disposals_counted)
    together = import_journal(session, journal, app_config=app.config)
    rows = dump(session)
    exported = export_journal(session, timezone=app.config["SHOP_TZ"])
    monkeypatch.undo()
    wipe(session)
    monkeypatch.setattr(counter, "enter_past_run", lambda session, events, *, tz: [])
    monkeypatch.setattr(stock, "dispose_all", lambda session, disposals, *, tz: [])
    monkeypatch.setattr(stock, "receive_intakes", lambda session, intakes, *, tz: [])
    alone_summary = import_journal(session, journal, app_config=app.config)

    assert together == alone_summary and together.sales > 300
    # Every sale and shift went in together (lots too), in runs of more than one of each.
    taken = [name for call in calls for name in call]
    assert taken.count("PastSale") == together.sales
    assert taken.count("PastVoid") == together.voids > 0
    assert taken.count("PastRefund") == together.refunds > 0
    assert taken.count("ShiftOpens") == taken.count("ShiftCloses") == together.shifts
    assert any(call.count("PastSale") > 1 and call.count("ShiftCloses") > 1 for call in calls)
    assert any(line[3] is None for line in rows["sale_line"])  # a lot's pieces
    assert sum(disposed) == together.disposals
    alone = dump(session)
    for name in DUMPS:
        assert rows[name] == alone[name], name
    assert exported == export_journal(session, timezone=app.config["SHOP_TZ"])
