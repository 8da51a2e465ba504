"""The demo shop: docs/sharing.md's worked example, moved to the three months before this one,
with stock on the rail today, so every page has something true to show.

The example's three months (a journal bundled with the code) are shifted by whole months so
that its last month is last month; its figures do not change (they depend on months, not on
weekdays). The first two come in closed and paid out as the example says; the last (last
month) comes in with its shifts closed but the month itself open, so the demo has a month
to close, pay out and print statements for; this month is open for the counter. Two old
items from the example's first month wait in the clearance list, and today's bag of
donations, a lot of socks and Ngọc's consigned dress are on the rail.
"""

from __future__ import annotations

import calendar
import copy
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from shop.models import Condition, IntakeKind, Role

EXAMPLE = Path(__file__).resolve().parent / "journal" / "examples" / "trial-3-months.json"
#: The example's members may sign in with these PINs (number → PIN).
DEMO_PINS = {1: "2468", 2: "1357", 3: "3579", 4: "8642"}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(.*)$")


def example_journal() -> dict[str, Any]:
    """The worked example of docs/sharing.md as a journal (a fresh copy)."""
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def shift_text(text: str, months: int) -> str:
    """A "YYYY-MM", "YYYY-MM-DD" or "YYYY-MM-DDThh:mm…" text ``months`` later (or earlier);
    a day past the new month's end becomes its last day. Anything else is returned as is."""
    if found := _MONTH.match(text):
        year, month = _add_months(int(found[1]), int(found[2]), months)
        return f"{year:04d}-{month:02d}"
    if found := _DAY.match(text):
        year, month = _add_months(int(found[1]), int(found[2]), months)
        day = min(int(found[3]), calendar.monthrange(year, month)[1])
        return f"{year:04d}-{month:02d}-{day:02d}{found[4]}"
    return text


_DATED_KEYS = re.compile(r"(^|_)(at|on|month)$")


def shift_journal(journal: dict[str, Any], months: int) -> dict[str, Any]:
    """``journal`` with every date in it (keys ending in ``at``, ``on`` or ``month``, and the
    list ``closed_months``) moved by ``months``; descriptions and the rest untouched."""

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            if key == "closed_months":
                return [shift_text(v, months) for v in value]
            return [walk(v, key) for v in value]
        if isinstance(value, str) and _DATED_KEYS.search(key):
            return shift_text(value, months)
        return value

    return walk(copy.deepcopy(journal))


def months_to_last_month(journal: dict[str, Any], today: date) -> int:
    """How many months to move ``journal`` so that its last month is the one before
    ``today``'s."""
    last = max(journal["closed_months"])
    year, month = (int(part) for part in last.split("-"))
    target_year, target_month = _add_months(today.year, today.month, -1)
    return (target_year * 12 + target_month) - (year * 12 + month)


#: The example's kinds under the names of the shop's own categories (one category a kind).
_CATEGORY_NAMES = {"Váy": "Váy, đầm"}


def shop_words(journal: dict[str, Any]) -> dict[str, Any]:
    """``journal`` as the shop itself would have written it: the example's letter codes
    (A, B…) become numeric codes with their check digit, in order (A → 10008), and its
    categories take the names of the shop's own (``Váy`` is ``Váy, đầm``), so the demo has
    one category per kind and codes a scanner or a member would really type."""
    from shop.domain.codes import item_code

    letters = sorted(
        {item["code"] for intake in journal["intakes"] for item in intake.get("items", [])}
    )
    codes = {letter: item_code(n) for n, letter in enumerate(letters, start=1)}

    def mend(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: codes.get(v, v)
                if key == "code" and isinstance(v, str)
                else _CATEGORY_NAMES.get(v, v)
                if key == "category" and isinstance(v, str)
                else mend(v)
                for key, v in value.items()
            }
        if isinstance(value, list):
            return [mend(v) for v in value]
        return value

    return mend(journal)


def load_demo(session: Session, config, *, today: date, now) -> None:
    """Fill an empty shop with the demo (see the module's docstring); flushes, never commits."""
    from shop.journal.importer import import_journal
    from shop.services import members as member_service
    from shop.services import stock as stock_service

    journal = example_journal()
    months = months_to_last_month(journal, today)
    journal = shift_journal(journal, months)
    last = max(journal["closed_months"])
    journal["closed_months"].remove(last)
    journal["payouts"] = [p for p in journal.get("payouts", []) if p["month"] != last]
    first_intake = min(intake["received_at"] for intake in journal["intakes"])
    journal["intakes"].append(
        {
            "ref": "demo-old",
            "kind": "donation",
            "received_at": first_intake,
            "by": 1,
            "donor": journal["donors"][0]["ref"],
            "items": [
                {"code": "G", "category": "Áo", "description": "Áo len cũ màu be",
                 "size": "L", "condition": "fair", "price_dong": 40000},
                {"code": "H", "category": "Quần", "description": "Quần vải đen",
                 "size": "30", "condition": "good", "price_dong": 45000},
            ],
        }
    )  # fmt: skip
    journal = shop_words(journal)
    stock_service.seed_categories(session)
    for member in journal["members"]:
        member_service.create_member(
            session,
            member_service.MemberDetails(
                name=member["name"],
                phone=member["phone"],
                role=Role(member["role"]),
                joined_on=date.fromisoformat(member["joined_on"]),
            ),
            DEMO_PINS[member["number"]],
            number=member["number"],
            country_code=config["SHOP_COUNTRY_CODE"],
        )
    import_journal(session, journal, app_config=config, keep_members=True)
    _stock_today(session, config, now)


def _stock_today(session: Session, config, now) -> None:
    """Price suggestions, today's bag of donations with a lot of socks, Ngọc's dress."""
    from shop.services import members as member_service
    from shop.services import stock as stock_service

    tz = config["SHOP_TZ"]
    hong = member_service.get_member(session, 1)
    by_name = {c.name: c for c in stock_service.categories(session)}
    for (name, condition), price in {
        ("Áo", Condition.GOOD): 50_000,
        ("Áo", Condition.LIKE_NEW): 70_000,
        ("Quần", Condition.GOOD): 45_000,
        ("Váy, đầm", Condition.GOOD): 80_000,
    }.items():
        if name in by_name:
            stock_service.set_price_suggestion(session, by_name[name].id, condition, price)

    def intake(days_ago: int, **details):
        # Never before this month's first day: the months before it are closed.
        at = max(now - timedelta(days=days_ago), now.replace(day=1, hour=2))
        return stock_service.receive_intake(
            session, stock_service.IntakeDetails(received_at=at, **details), by=hong, tz=tz
        )

    bag = intake(
        0,
        kind=IntakeKind.DONATION,
        new_donor=stock_service.DonorDetails("Văn phòng GREEN", organisation="GREEN"),
    )
    for category, description, size, price, condition in [
        ("Áo khoác", "Áo khoác gió xanh rêu", "L", 80_000, Condition.LIKE_NEW),
        ("Áo", "Áo len cổ lọ", "S", 40_000, Condition.GOOD),
        ("Đồ trẻ em", "Bộ đồ bé trai 4 tuổi", "4", 30_000, Condition.GOOD),
        ("Túi", "Túi vải in hoa", None, 20_000, Condition.NEW),
    ]:
        stock_service.add_item(
            session, bag, stock_service.ItemDetails(category, price, description, size, condition)
        )
    stock_service.add_lot(
        session, bag, stock_service.LotDetails("Phụ kiện", 10_000, 40, "Tất các loại")
    )
    ngoc = intake(10, kind=IntakeKind.CONSIGNMENT, owner_number=2)
    stock_service.add_item(
        session,
        ngoc,
        stock_service.ItemDetails("Váy, đầm", 120_000, "Váy liền hoa nhí", "S", Condition.LIKE_NEW),
    )
