"""Every change of an item row takes the next number of the "rail" sequence.

The counter page keeps a copy of the rail and asks for the rows changed after the last
number it saw (:mod:`shop.services.rail`). So that no change can be missed, the number is
stamped here, in one place, on every write to an item, whoever makes it:

* an item added or changed through the ORM (intake, a price change, an edit, a journal
  import) is stamped just before the session flushes it;
* an ``UPDATE item …`` statement (a sale taking an item or a lot's pieces, a void or a
  refund putting them back, a disposal) gets ``rail_version = <next number>`` added.

The sequence's ``UPDATE … RETURNING`` keeps its row locked until the transaction ends, so
the numbers become visible in the order they were taken: a reader that sees number *n* sees
every change numbered below it.
"""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from shop.models.sequence import next_in_sequence
from shop.models.stock import Item

SEQUENCE = "rail"


#: ``session.info`` key: rail numbers taken ahead by :func:`reserve_rail_versions`.
_RESERVED = "rail_versions_reserved"


def next_rail_version(session: Session) -> int:
    """The number to stamp on an item row changed in this transaction (the one helper)."""
    reserved = session.info.get(_RESERVED)
    if reserved:
        return reserved.pop(0)
    return next_in_sequence(session, SEQUENCE)


def reserve_rail_versions(session: Session, count: int) -> list[int]:
    """Take ``count`` rail numbers in one statement for the item rows this transaction is
    about to change (a sale's lines), handed out in order by :func:`next_rail_version`.

    They are taken as one would be, under the sequence row's lock until the transaction
    ends, so they still become visible in order. Numbers left unused are gaps, which
    readers (who ask for the rows changed after a number) never notice; they are dropped
    when any transaction or savepoint ends, so none is used twice.

    Returns the list they are handed out from: a caller that stamps some rows itself (one
    UPDATE for many items) takes their numbers out of it, and the rest go in order.
    """
    if count < 1:
        return []
    last = next_in_sequence(session, SEQUENCE, count)
    session.info[_RESERVED] = list(range(last - count + 1, last + 1))
    return session.info[_RESERVED]


@event.listens_for(Session, "after_transaction_end")
def _drop_reserved(session: Session, transaction) -> None:
    # A flush's own inner transaction ends too: it leaves the numbers be.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_RESERVED, None)


@event.listens_for(Session, "before_flush")
def _stamp_changed_items(session: Session, flush_context, instances) -> None:
    changed = [obj for obj in session.new if isinstance(obj, Item)]
    changed += [
        obj
        for obj in session.dirty
        if isinstance(obj, Item)
        and session.is_modified(obj, include_collections=False)
        and not inspect(obj).attrs.rail_version.history.added
    ]
    if not changed:
        return
    # Numbers reserved ahead first, then the rest taken in one statement: the same numbers,
    # in the same order, as one next_rail_version() per item would hand out.
    reserved = session.info.get(_RESERVED) or []
    numbers, reserved[:] = reserved[: len(changed)], reserved[len(changed) :]
    missing = len(changed) - len(numbers)
    if missing:
        last = next_in_sequence(session, SEQUENCE, missing)
        numbers += range(last - missing + 1, last + 1)
    for item, number in zip(changed, numbers, strict=True):
        item.rail_version = number


@event.listens_for(Session, "do_orm_execute")
def _stamp_item_updates(state) -> None:
    if not state.is_update or state.bind_mapper is None or state.bind_mapper.class_ is not Item:
        return
    statement = state.statement
    if "rail_version" in {getattr(c, "key", c) for c in statement._values or {}}:
        return
    state.statement = statement.values(rail_version=next_rail_version(state.session))
