"""Asking the bank-notification service for new transactions, in the background.

A shop server behind a home router cannot be reached by SePay's or Casso's webhooks, so it
asks them instead: a thread per web process (like the print queue's) calls
:func:`poll_once` every few seconds; :func:`poll_once` does nothing until the feed is due.
The feed is due every :data:`WAITING_SECONDS` while a sale waits for its transfer (or a
transfer confirmed by hand waits for the bank to show it), every :data:`IDLE_SECONDS`
otherwise, at once when a transfer sale has just been recorded, and never before a
``Retry-After`` the provider asked for has passed.

Two processes never poll at once: the feed's row is *claimed* by a conditional UPDATE,
and a claim older than :data:`STALE_CLAIM` (its process died mid-poll) is taken over.
Each page of transactions is stored through :func:`shop.services.bank.receive` and
committed with the cursor that follows it, so a poll cut short resumes where the last
committed page ended and a transaction seen twice is stored once. A network failure is
written to the feed's ``last_error`` in the coordinator's words and waited out; nothing
the provider does raises out of the thread.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from shop.bank import providers
from shop.domain import bank as rules
from shop.domain.calendar import utc_now
from shop.extensions import db
from shop.models import BankFeed, BankTransaction, Sale
from shop.services import bank

log = logging.getLogger(__name__)

#: Seconds between polls while a transfer is awaited, and otherwise (``BANK_POLL_WAITING_
#: SECONDS`` and ``BANK_POLL_IDLE_SECONDS`` in the app's config change them).
WAITING_SECONDS = 15
IDLE_SECONDS = 300
#: A claim this old belongs to a process that died mid-poll.
STALE_CLAIM = timedelta(minutes=2)
#: How long to wait after a failure, by how long the feed has been failing (at most).
FAILURE_DELAYS = (30, 60, 120, 300)
#: Pages read in one poll at most (the next poll carries on from the cursor).
MAX_PAGES = 50
#: How often the thread looks whether the feed is due, seconds.
TICK_SECONDS = 3.0

#: A failure's reason in the coordinator's words.
REASONS = {
    "network": _l("No connection to the bank service (is the internet down?)."),
    "timeout": _l("The bank service did not answer in time."),
    "auth": _l("The bank service refused the key: check the API key."),
    "rate_limited": _l("The bank service asked the shop to wait a little."),
    "server": _l("The bank service has a problem on its side."),
    "answer": _l("The bank service answered something the shop cannot read."),
    "no_key": _l("No API key is saved for this bank service."),
    "busy": _l("The shop is already asking the bank; try again in a few seconds."),
}
WAKE = bank.FEED_WAKE


@dataclass
class PollResult:
    """What one poll did. ``skipped``: why it did not ask (``no_provider``, ``no_key``,
    ``not_due``, ``busy``); ``error``: the failure's reason when it asked and failed."""

    provider: str = ""
    skipped: str = ""
    error: str = ""
    detail: str = ""
    new: int = 0
    seen: int = 0
    outcomes: Counter = field(default_factory=Counter)
    confirmed_sales: list[int] = field(default_factory=list)
    next_poll_at: datetime | None = None

    @property
    def asked(self) -> bool:
        return not self.skipped

    @property
    def message(self) -> str:
        reason = self.error or (self.skipped if self.skipped in REASONS else "")
        return str(REASONS[reason]) if reason else ""


def intervals() -> tuple[int, int]:
    """The waiting and the idle cadence, seconds, from the app's config."""
    config = current_app.config if has_app_context() else {}
    return (
        int(config.get("BANK_POLL_WAITING_SECONDS", WAITING_SECONDS)),
        int(config.get("BANK_POLL_IDLE_SECONDS", IDLE_SECONDS)),
    )


def checks_pending(session: Session, at: datetime) -> int:
    """Transfers confirmed by hand since the feed began, not shown by the bank yet and
    still within the days it has to show them."""
    settings = bank.bank_settings(session)
    if settings.feed_since is None:
        return 0
    start = max(settings.feed_since, at - timedelta(days=settings.check_days))
    paid = select(BankTransaction.sale_id).where(BankTransaction.pays_sale)
    return session.scalar(
        select(func.count(Sale.id)).where(
            Sale.transfer_dong > 0,
            Sale.confirmed_by_id.is_not(None),
            Sale.confirmed_at >= start,
            ~Sale.void.has(),
            Sale.id.not_in(paid),
        )
    )


def _awaiting(session: Session, at: datetime) -> bool:
    return bank.waiting_transfers(session) > 0 or checks_pending(session, at) > 0


def _due(feed: BankFeed, at: datetime, awaiting: bool, waiting_seconds: int) -> bool:
    if feed.next_poll_at is None or feed.next_poll_at <= at:
        return True
    if feed.last_error and feed.next_poll_at > at:
        return False  # waiting out a failure or a Retry-After
    # A transfer is awaited now (a sale was just recorded): its cadence, not the idle one.
    return awaiting and (
        feed.last_poll_at is None or (at - feed.last_poll_at).total_seconds() >= waiting_seconds
    )


def _claim(session: Session, provider: str, at: datetime) -> bool:
    result = session.execute(
        update(BankFeed)
        .where(
            BankFeed.provider == provider,
            or_(BankFeed.claimed_at.is_(None), BankFeed.claimed_at < at - STALE_CLAIM),
        )
        .values(claimed_at=at)
    )
    session.commit()
    return result.rowcount == 1


def _failure_delay(feed: BankFeed, at: datetime) -> int:
    failing = (at - feed.last_ok_at).total_seconds() if feed.last_ok_at else 0
    for delay in FAILURE_DELAYS:
        if failing < delay * 4:
            return delay
    return FAILURE_DELAYS[-1]


def poll_once(
    session: Session,
    *,
    at: datetime | None = None,
    force: bool = False,
    transport=None,
    environ=None,
    waiting_seconds: int | None = None,
    idle_seconds: int | None = None,
) -> PollResult:
    """Ask the shop's provider for new transactions if the feed is due (``force``: now,
    as the settings page's button and ``flask bank poll`` do), store each one and say
    what they did. Commits (per page); never raises for the provider's or the network's
    fault: the failure is in the result and in the feed's ``last_error``."""
    at = at or utc_now()
    default_waiting, default_idle = intervals()
    waiting_seconds = default_waiting if waiting_seconds is None else waiting_seconds
    idle_seconds = default_idle if idle_seconds is None else idle_seconds
    settings = bank.bank_settings(session)
    result = PollResult(provider=settings.provider)
    provider = providers.provider_for(
        settings.provider, bank.keys(session, environ), settings.base_url, transport=transport
    )
    if provider is None:
        session.rollback()
        result.skipped = "no_provider"
        return result
    if not provider.can_poll():
        session.rollback()
        result.skipped = "no_key"
        return result
    feed = bank.feed_state(session, provider.name)
    awaiting = _awaiting(session, at)
    if not force and not _due(feed, at, awaiting, waiting_seconds):
        session.rollback()
        result.skipped = "not_due"
        result.next_poll_at = feed.next_poll_at
        return result
    session.commit()  # the feed's row exists before it is claimed
    if not _claim(session, provider.name, at):
        result.skipped = "busy"
        return result

    since = settings.feed_since or at
    delay: float = 0
    try:
        for _page in range(MAX_PAGES):
            cursor = session.get(BankFeed, provider.name).cursor
            session.rollback()  # nothing held open while the provider takes its time
            page = provider.fetch(cursor, since=since, now=at)
            for incoming in page.transactions:
                row, new = bank.receive(session, incoming, via="poll", signature_ok=True, at=at)
                result.seen += 1
                if new:
                    result.new += 1
                    result.outcomes[row.outcome.value] += 1
                    if row.outcome == rules.Outcome.CONFIRMED and row.sale_id is not None:
                        number = session.get(Sale, row.sale_id).number
                        result.confirmed_sales.append(number)
            session.get(BankFeed, provider.name).cursor = page.cursor[:200]
            session.commit()
            if not page.more:
                break
    except providers.FeedError as error:
        session.rollback()
        result.error, result.detail = error.reason, error.detail
        if error.reason == "rate_limited" and error.retry_after is not None:
            delay = error.retry_after
        log.warning("bank feed %s: %s", provider.name, error)
    except Exception as error:  # a row the inbox refused: logged, tried again later
        session.rollback()
        log.exception("bank feed %s stumbled", provider.name)
        result.error, result.detail = "answer", f"{type(error).__name__}"[:200]

    feed = session.get(BankFeed, provider.name)
    feed.claimed_at = None
    feed.last_poll_at = at
    if result.error:
        feed.last_error = str(REASONS[result.error])[:300]
        delay = max(delay, _failure_delay(feed, at)) if result.error != "rate_limited" else delay
        if result.error == "rate_limited" and not delay:
            delay = _failure_delay(feed, at)
    else:
        feed.last_ok_at = at
        feed.last_error = ""
        delay = waiting_seconds if _awaiting(session, at) else idle_seconds
    feed.next_poll_at = at + timedelta(seconds=delay)
    result.next_poll_at = feed.next_poll_at
    session.commit()
    return result


# -- the thread ------------------------------------------------------------------------


class Poller(threading.Thread):
    """The bank feed's thread in one web process."""

    def __init__(self, app: Flask):
        super().__init__(name="bank-poller", daemon=True)
        self.app = app
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.last_round: datetime | None = None

    def run(self) -> None:
        while not self.stopping.is_set():
            self.last_round = utc_now()
            try:
                with self.app.app_context():
                    try:
                        poll_once(db.session)
                    finally:
                        db.session.remove()
            except Exception:  # the database away for a moment: try again next round
                log.exception("the bank poller stumbled")
            self.wakeup.wait(TICK_SECONDS)
            self.wakeup.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()


_lock = threading.Lock()


def enabled(app: Flask) -> bool:
    """Whether the app runs the poller's thread: ``BANK_POLLER`` is ``"thread"`` (the
    default) or ``"off"``; a testing app runs it only when asked."""
    mode = app.config.get("BANK_POLLER") or ("off" if app.testing else "thread")
    return mode == "thread"


def poller(app: Flask) -> Poller | None:
    """The app's poller thread, started on first use; ``None`` where it is off."""
    if not enabled(app):
        return None
    with _lock:
        running = app.extensions.get("bank_poller")
        if running is None or not running.is_alive():
            running = Poller(app)
            app.extensions["bank_poller"] = running
            running.start()
    return running


def wake(app: Flask) -> None:
    running = poller(app)
    if running is not None:
        running.wakeup.set()


def init_bank_poller(app: Flask) -> None:
    """Start the poller with the first request, and wake it when a commit recorded a sale
    paid by transfer (so the bank is asked at once rather than at the idle cadence)."""

    @event.listens_for(db.session, "after_flush")
    def _note_transfer_sales(session, _context):
        if any(isinstance(o, Sale) and (o.transfer_dong or 0) > 0 for o in session.new):
            session.info[WAKE] = True

    @event.listens_for(db.session, "after_commit")
    def _after_commit(session):
        if session.info.pop(WAKE, False) and has_app_context():
            wake(current_app._get_current_object())

    @event.listens_for(db.session, "after_rollback")
    def _after_rollback(session):
        session.info.pop(WAKE, None)

    @app.before_request
    def _start_poller():
        if "bank_poller" not in app.extensions:
            poller(app)
