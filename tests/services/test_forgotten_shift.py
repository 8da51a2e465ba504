"""A shift its member forgot to close: a coordinator closes it for her (when it ended, the
cash counted or "not counted", why), it is in the audit log, and the month can close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from shop.extensions import db
from shop.journal import check_journal, export_journal, import_journal, normalise_journal
from shop.models import AuditEvent
from shop.services import counter as svc
from shop.services import members as member_service
from shop.services import month as month_service
from shop.services.errors import InvalidInput
from tests.conftest import save_shop
from tests.factories import donated, sell

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
OPENED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi
SOLD = OPENED + timedelta(hours=2, minutes=30)
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def forgotten(app, coordinator, member):
    """Ngọc (2) opened a shift on 20 November, sold a blouse at 11:30 and went home."""
    with app.app_context(), app.test_request_context():
        session = db.session
        hong, ngoc = (member_service.get_member(session, n) for n in (1, 2))
        donated(session, OPENED, A=("Áo", 50_000))
        save_shop(session, name="NEW ME", bank=False)
        shift = svc.open_shift(session, ngoc, 100_000, at=OPENED, tz=HANOI)
        sell(session, "A", at=SOLD, cashier=ngoc, tendered_dong=50_000)
        session.commit()
        yield session, hong, ngoc, shift.id


def test_a_coordinator_closes_it_not_counted_and_the_month_closes(forgotten):
    session, hong, ngoc, shift_id = forgotten
    refusal = month_service.preview_close(session, "2026-11", at=NOW, tz=HANOI)
    assert "Nguyễn Thị Ngọc" in str(refusal.refusal.message)
    assert [s.id for s in refusal.open_shifts] == [shift_id]
    shift = svc.get_shift(session, shift_id)

    count = svc.close_shift_for(
        session, shift, counted_dong=None, ended_at=SOLD + timedelta(minutes=30),
        reason="Chị Ngọc quên đóng ca", by=hong, at=NOW,
    )  # fmt: skip

    assert count.expected_dong == 150_000
    assert shift.closed_at == SOLD + timedelta(minutes=30)  # her hours end then, not now
    assert shift.counted_cash_dong is None and shift.expected_cash_dong == 150_000
    assert shift.closed_by_id == hong.id
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "shift_closed_for"))
    assert event.by_id == hong.id and event.subject == f"shift {shift_id}"
    assert event.detail["reason"] == "Chị Ngọc quên đóng ca"
    assert event.detail["counted_dong"] is None and event.detail["member"] == ngoc.number
    assert month_service.preview_close(session, "2026-11", at=NOW, tz=HANOI).refusal is None
    month_service.close_month(session, "2026-11", by=hong, at=NOW, tz=HANOI)
    figures = month_service.month_figures(session, "2026-11", HANOI)
    [row] = [m for m in figures.members if m.member == ngoc.number]
    assert row.work_minutes == 180


def test_the_journal_keeps_a_shift_closed_without_a_count(app, forgotten):
    session, hong, _ngoc, shift_id = forgotten
    svc.close_shift_for(
        session, svc.get_shift(session, shift_id), counted_dong=None, ended_at=SOLD,
        reason="quên đóng ca", by=hong, at=NOW,
    )  # fmt: skip
    session.commit()
    journal = export_journal(session, timezone=HANOI)
    assert journal["shifts"][0]["counted_cash_dong"] is None
    assert check_journal(journal) == []
    broken = normalise_journal(journal)
    del broken["shifts"][0]["counted_cash_dong"]
    assert [p.path for p in check_journal(broken)] == ["/shifts/0/counted_cash_dong"]
    from tests.journal.conftest import wipe

    wipe(session)
    session.commit()
    import_journal(session, journal, app_config=app.config)
    session.flush()
    assert export_journal(session, timezone=HANOI) == journal
    session.rollback()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"by": "ngoc"}, "shift", "Only a coordinator"),
        ({"reason": "  "}, "reason", "Say why"),
        ({"ended_at": NOW + timedelta(minutes=5)}, "ended_at", "future"),
        ({"ended_at": OPENED - timedelta(minutes=1)}, "ended_at", "before it opened"),
        ({"ended_at": SOLD - timedelta(minutes=1)}, "ended_at", "last sale or refund"),
        ({"counted_dong": -1}, "counted_cash_dong", "negative"),
    ],
)
def test_what_is_refused_and_changes_nothing(forgotten, change, field, words):
    session, hong, ngoc, shift_id = forgotten
    shift = svc.get_shift(session, shift_id)
    kwargs = {"counted_dong": 150_000, "ended_at": SOLD, "reason": "quên", "by": hong}
    kwargs.update(change)
    if kwargs["by"] == "ngoc":
        kwargs["by"] = ngoc
    with pytest.raises(InvalidInput) as refused, force_locale("en"):
        svc.close_shift_for(session, shift, at=NOW, **kwargs)
    with force_locale("en"):
        assert refused.value.field == field and words in str(refused.value.message)
    assert shift.closed_at is None


def test_her_own_shift_she_closes_at_the_counter(forgotten):
    session, hong, _ngoc, _shift_id = forgotten
    own = svc.open_shift(session, hong, 0, at=NOW - timedelta(hours=1), tz=HANOI)
    with pytest.raises(InvalidInput) as refused:
        svc.close_shift_for(session, own, counted_dong=0, ended_at=NOW, reason="x", by=hong, at=NOW)
    assert refused.value.field == "shift" and own.closed_at is None
