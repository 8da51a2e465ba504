"""The rail copy: what the counter page keeps of the items on the rail, and what changed.

The page asks with the cursor of its last answer and gets only the items whose row changed
since (added, price changed, sold, put back, disposed, a lot's quantity): those still for
sale in ``items``, the others in ``gone``. Without a cursor, with one it cannot read, one
from the future (a database put back from a backup) or one so old that the changes would
be larger than the rail itself, it gets a full copy of the items in stock (never the sold
history). The cursor is the highest rail version the answer covers (see
:mod:`shop.models.rail`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.domain.calendar import local_date
from shop.domain.pricing import Policy, month_key
from shop.models import Category, Item, ItemStatus, Member
from shop.services.policy import policy_in_force

CURSOR = re.compile(r"^r(\d{1,18})$")
#: A delta with more changed rows than this is sent as a full copy instead.
MAX_DELTA = 2000


@dataclass(frozen=True)
class RailItem:
    code: str
    name: str
    size: str | None
    price_dong: int
    received_on: date
    is_lot: bool
    on_hand: int | None
    owner: int | None


@dataclass(frozen=True)
class RailCopy:
    cursor: str
    full: bool
    today: date
    policy: Policy
    items: list[RailItem] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


def _version(cursor: str | None) -> int | None:
    match = CURSOR.match(cursor or "")
    return int(match[1]) if match else None


def rail_copy(session: Session, *, since: str | None, on: datetime, tz: ZoneInfo) -> RailCopy:
    """The items changed since the cursor ``since`` (all in stock without one), at ``on``.

    The highest version is read before the rows: a change committed in between is sent
    now and again next time, never missed (versions become visible in order).
    """
    today = local_date(on, tz)
    policy = policy_in_force(session, month_key(today))
    newest = session.scalar(select(func.coalesce(func.max(Item.rail_version), 0))) or 0
    after = _version(since)
    if after is not None and after > newest:
        after = None  # a cursor from another database (or from before a restore)
    if after is not None:
        changed = session.scalar(select(func.count(Item.id)).where(Item.rail_version > after))
        if changed > MAX_DELTA:
            after = None
    query = (
        select(
            Item.code,
            Item.description,
            Item.size,
            Item.price_dong,
            Item.received_on,
            Item.is_lot,
            Item.quantity_on_hand,
            Item.status,
            Category.name,
            Member.number,
        )
        .join(Category, Item.category_id == Category.id)
        .outerjoin(Member, Item.owner_id == Member.id)
        .order_by(Item.code)
    )
    if after is None:
        query = query.where(
            Item.status == ItemStatus.IN_STOCK,
            (Item.is_lot.is_(False)) | (Item.quantity_on_hand > 0),
        )
    else:
        query = query.where(Item.rail_version > after)
    items, gone = [], []
    for (
        code,
        description,
        size,
        price,
        received_on,
        is_lot,
        on_hand,
        status,
        category,
        owner,
    ) in session.execute(query):
        if status != ItemStatus.IN_STOCK or (is_lot and not on_hand):
            gone.append(code)
            continue
        items.append(
            RailItem(
                code=code,
                name=f"{category} · {description}" if description else category,
                size=size,
                price_dong=price,
                received_on=received_on,
                is_lot=is_lot,
                on_hand=on_hand if is_lot else None,
                owner=owner,
            )
        )
    return RailCopy(f"r{newest}", after is None, today, policy, items, gone)
