"""Fixtures for the journal: the worked example, a session, and wiping a shop clean."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from shop.extensions import db
from tests.conftest import delete_everything

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "trial-3-months.json"

#: The sections that close the example's months and pay them out.
MONTH_SECTIONS = ("payouts", "closed_months")


def full_example() -> dict:
    """The worked example journal, every section included (a fresh copy each time)."""
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def importable_example() -> dict:
    """The worked example's history without its months closed and paid out (payouts and
    closed months): a history to change freely, where a changed sale cannot make a payout
    more than is due or fall in a closed month.

    Its shifts, sales and refund stay, and its expenses (bags, electricity).
    """
    journal = full_example()
    for section in MONTH_SECTIONS:
        journal.pop(section, None)
    return journal


def stock_example() -> dict:
    """The worked example's shop, members and stock only: no shifts, sales or refunds.

    Each item is on the rail all along, so a change to the stock's history is judged alone.
    """
    journal = importable_example()
    for section in ("shifts", "sales", "refunds"):
        del journal[section]
    return journal


def wipe(session) -> None:
    """Delete every row of every table, children first, and forget the loaded objects.

    Used to import again into the same (now empty) database, on SQLite and PostgreSQL alike.
    """
    session.flush()
    delete_everything(session)
    session.flush()
    session.expunge_all()


@pytest.fixture
def session(app):
    """The app's database session inside an app context (as the CLI has it)."""
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def example():
    return copy.deepcopy(importable_example())
