"""A journal's dated events in the one order that both the check and the import replay them.

The stock and the drawers depend on the order of things: an item sold, brought back by a
refund and sold again; a price change of an item that has left; a void while its shift is
still open. :func:`timeline` puts every dated entry of the journal on one line, so that
:func:`shop.journal.check_journal` judges the history in exactly the order in which
:func:`shop.journal.import_journal` writes it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shop.journal.problems import pointer
from shop.journal.times import parse_time


class Step(enum.IntEnum):
    """What happens at a moment; events at the same moment happen in this order.

    A shift opens before anything else at its moment and closes after everything else, so a
    sale, void or refund at the very minute a shift opens or closes falls inside it (as
    :func:`shop.services.counter.shift_at` counts the ends in). A price change comes before
    a disposal, as it always has.
    """

    SHIFT_OPENS = 0
    PRICE_CHANGE = 1
    SALE = 2
    VOID = 3
    REFUND = 4
    DISPOSAL = 5
    SHIFT_CLOSES = 6


@dataclass(frozen=True)
class Event:
    """One dated thing in the journal.

    ``entry`` is the entry of ``section`` at ``index`` (for a void, the sale it voids; for a
    shift's close, the shift), and ``path`` its JSON Pointer.
    """

    at: datetime
    step: Step
    index: int
    path: str
    entry: dict[str, Any]


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


def timeline(data: dict[str, Any]) -> list[Event]:
    """Every dated event of journal ``data``: by time, then :class:`Step`, then file order.

    Reads defensively: an entry that is not an object, or whose time is missing or not a
    time (the schema reports those), is left out.
    """
    events = []
    for step, section, keys in _SOURCES:
        entries = data.get(section)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            at = _moment(entry, keys)
            if at is not None:
                events.append(Event(at, step, index, pointer(section, index), entry))
    events.sort(key=lambda event: (event.at, event.step, event.index))
    return events


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
