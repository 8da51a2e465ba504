"""A journal's dated events in the one order that both the check and the import replay them.

The stock and the drawers depend on the order of things: an item sold, brought back by a
refund and sold again; a price change of an item that has left; a void while its shift is
still open; a month closed after everything in it, and paid out after its close; a stock
count closed after the sales that took items off its rail. :func:`timeline` puts every
dated entry of the journal on one line, so that :func:`shop.journal.check_journal` judges
the history in exactly the order in which :func:`shop.journal.import_journal` writes it.

A closed month has no moment of its own in a journal: it closes at the moment its next
month begins (local midnight), or later, when the last shift that opened in it or before
closes. A payout, dated by a day, happens as that day begins, or as its month closes if
that is later.
"""

from __future__ import annotations

import enum
import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shop.domain.sharing import month_bounds
from shop.journal.problems import child, pointer
from shop.journal.reader import Section, is_list
from shop.journal.times import DEFAULT_TIMEZONE, parse_day, parse_time, zone


class Step(enum.IntEnum):
    """What happens at a moment; events at the same moment happen in this order.

    A shift opens before anything else at its moment and closes after everything else, so a
    sale, void or refund at the very minute a shift opens or closes falls inside it (as
    :func:`shop.services.counter.shift_at` counts the ends in). A price change comes before
    a disposal, as it always has. A stock count opens before the counter's events of its
    moment, takes its scans (and their withdrawals) after them, and closes after those, so
    a scan at the very moment it opens or closes falls inside it and its close sees the
    sales of its moment. A month closes after everything else at its moment, and a payout
    comes after that.
    """

    SHIFT_OPENS = 0
    COUNT_OPENS = 1
    PRICE_CHANGE = 2
    SALE = 3
    VOID = 4
    REFUND = 5
    DISPOSAL = 6
    COUNT_SCAN = 7
    SCAN_WITHDRAWN = 8
    COUNT_CLOSES = 9
    SHIFT_CLOSES = 10
    MONTH_CLOSES = 11
    PAYOUT = 12


@dataclass(frozen=True)
class Event:
    """One dated thing in the journal.

    ``entry`` is the entry of ``section`` at ``index`` (for a void, the sale it voids; for a
    shift's close, the shift; for a month's close, ``{"month": "YYYY-MM"}``; for a stock
    count's opening, scans and close, the count), and ``path`` its JSON Pointer. ``part``
    is the place of a count's scan in its ``scans`` (0 for every other event).
    """

    at: datetime
    step: Step
    index: int
    path: str
    entry: dict[str, Any]
    part: int = 0

    @property
    def scan(self) -> tuple[str, dict[str, Any]]:
        """A scan event's ``(path, scan)``."""
        return child(self.path, "scans", self.part), self.entry["scans"][self.part]


# Each step: the section it comes from and where its time is inside an entry.
_SOURCES: tuple[tuple[Step, str, tuple[str, ...]], ...] = (
    (Step.SHIFT_OPENS, "shifts", ("opened_at",)),
    (Step.PRICE_CHANGE, "price_changes", ("at",)),
    (Step.SALE, "sales", ("at",)),
    (Step.VOID, "sales", ("void", "at")),
    (Step.REFUND, "refunds", ("at",)),
    (Step.DISPOSAL, "disposals", ("at",)),
    (Step.SHIFT_CLOSES, "shifts", ("closed_at",)),
)


class Timeline:
    """The dated events of a journal in order (see :func:`timeline`): its length, and the
    events each time it is gone through.

    For a journal read from a file (:func:`shop.journal.reader.read_journal`) the events
    are sorted in the file's store, and each comes with its entry as it is read back: the
    history is never held whole.
    """

    def __init__(self, data: dict[str, Any]):
        tz = _zone_of(data)
        closes = month_closes(data, tz)
        # Held in memory: the few events of the months (closes and payouts) …
        self.held: list[Event] = []
        ranks = sorted(closes)
        for index, month in enumerate(_list(data, "closed_months")):
            if isinstance(month, str) and month in closes:
                path = pointer("closed_months", index)
                rank = ranks.index(month)
                self.held.append(
                    Event(closes[month], Step.MONTH_CLOSES, rank, path, {"month": month})
                )
        for index, entry in enumerate(_list(data, "payouts")):
            at = _payout_moment(entry, closes, tz)
            if at is not None:
                self.held.append(Event(at, Step.PAYOUT, index, pointer("payouts", index), entry))
        # … and of the stock counts: a handful of counts, each a few thousand scans at most.
        for index, entry in enumerate(_list(data, "counts")):
            self.held.extend(_count_events(index, entry))
        self.held.sort(key=_order)
        self.store = next(
            (data[s].store for _step, s, _keys in _SOURCES if isinstance(data.get(s), Section)),
            None,
        )
        self.events: list[Event] = []
        self.stored = 0
        if self.store is None:
            for step, section, keys in _SOURCES:
                for index, entry in enumerate(_list(data, section)):
                    at = _moment(entry, keys)
                    if at is not None:
                        self.events.append(Event(at, step, index, pointer(section, index), entry))
            self.events.sort(key=_order)
        else:
            self.stored = self.store.set_order(
                (at, step, index, section)
                for step, section, keys in _SOURCES
                for index, entry in enumerate(_list(data, section))
                if (at := _moment(entry, keys)) is not None
            )

    def __len__(self) -> int:
        return len(self.events) + self.stored + len(self.held)

    def __iter__(self) -> Iterator[Event]:
        if self.store is None:
            return heapq.merge(self.events, self.held, key=_order)
        return heapq.merge(self._read_back(), self.held, key=_order)

    def _read_back(self) -> Iterator[Event]:
        keys_of = {step: keys for step, _section, keys in _SOURCES}
        assert self.store is not None
        for step, index, section, entry in self.store.in_order():
            at = _moment(entry, keys_of[Step(step)])
            assert at is not None  # it had one when it was put in order
            yield Event(at, Step(step), index, pointer(section, index), entry)


def timeline(data: dict[str, Any]) -> Timeline:
    """Every dated event of journal ``data``: by time, then :class:`Step`, then file order
    (closes of the same moment by month).

    Reads defensively: an entry that is not an object, or whose time is missing or not a
    time (the schema reports those), is left out.
    """
    return Timeline(data)


def _order(event: Event) -> tuple[datetime, Step, int, int]:
    return (event.at, event.step, event.index, event.part)


def _count_events(index: int, entry: object) -> list[Event]:
    """A stock count's opening, each scan as the shop took it in (``received_at``), each
    scan withdrawn, and its close (an open count has none)."""
    if not isinstance(entry, dict):
        return []
    path = pointer("counts", index)
    events = []
    for step, key in ((Step.COUNT_OPENS, "opened_at"), (Step.COUNT_CLOSES, "closed_at")):
        at = _moment(entry, (key,))
        if at is not None:
            events.append(Event(at, step, index, path, entry))
    scans = entry.get("scans")
    for part, scan in enumerate(scans if is_list(scans) else []):
        for step, key in ((Step.COUNT_SCAN, "received_at"), (Step.SCAN_WITHDRAWN, "withdrawn_at")):
            at = _moment(scan, (key,))
            if at is not None:
                events.append(Event(at, step, index, path, entry, part))
    return events


def month_closes(data: dict[str, Any], tz: ZoneInfo) -> dict[str, datetime]:
    """When each month in ``closed_months`` closes on import: as its next month begins, or
    when the last shift that opened before then closes, if that is later."""
    months = data.get("closed_months")
    if not is_list(months):
        return {}
    ends: list[tuple[datetime, datetime]] = []  # (opened_at, closed_at) of closed shifts
    for entry in _list(data, "shifts"):
        opened_at, closed_at = _moment(entry, ("opened_at",)), _moment(entry, ("closed_at",))
        if opened_at is not None and closed_at is not None:
            ends.append((opened_at, closed_at))
    closes = {}
    for month in months:
        if not isinstance(month, str):
            continue
        try:
            _first, last = month_bounds(month)
        except ValueError:
            continue
        end = _start_of(last + timedelta(days=1), tz)
        closes[month] = max([end] + [closed for opened, closed in ends if opened < end])
    return closes


def _list(data: dict[str, Any], section: str) -> Sequence:
    """The section's entries, or none where it is not a list (the schema reports that)."""
    entries = data.get(section)
    return entries if is_list(entries) else []


def _payout_moment(entry: object, closes: dict[str, datetime], tz: ZoneInfo) -> datetime | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("paid_on"), str):
        return None
    try:
        paid_on = parse_day(entry["paid_on"])
    except ValueError:
        return None
    at = _start_of(paid_on, tz)
    month = entry.get("month")
    if isinstance(month, str) and month in closes:
        at = max(at, closes[month])
    return at


def _start_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _zone_of(data: dict[str, Any]) -> ZoneInfo:
    """The journal's time zone; its default where it is missing or unknown (reported by
    the check)."""
    shop = data.get("shop")
    name = shop.get("timezone", DEFAULT_TIMEZONE) if isinstance(shop, dict) else None
    found = zone(name) if isinstance(name, str) else None
    return found or ZoneInfo(DEFAULT_TIMEZONE)


def _moment(entry: object, keys: tuple[str, ...]) -> datetime | None:
    value = entry
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if not isinstance(value, str):
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None
