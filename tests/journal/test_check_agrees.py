"""The journal check and the services agree: each broken journal of ``test_check`` that
needs the history replayed to be found is refused by the services too, at the same entry.

For the check and the import never to disagree, every rule the check applies in its
replay of the history must be a rule of the services (the way to a check that is the
services' own refusals, replayed in a transaction rolled back). Each case below is written with the check
turned off (what the services alone make of it) and must be refused at the entry the
check names. The cases the check finds from the file alone (:data:`FILE_LEVEL`) stay the
file's checks, which the import makes before it writes anything, and are not replayed.
"""

from __future__ import annotations

import pytest

from shop.journal import check_journal, import_journal, importer
from shop.journal.problems import JournalInvalid

from . import test_check as cases
from .conftest import full_example, importable_example, stock_example

#: What the file alone tells, with no history replayed: its schema and texts' lengths, its
#: references and keys, which fields go with which kind of entry, the order within an
#: entry, and who was a member and which shift was open when (members' days and shifts'
#: hours are entries of the file).
FILE_LEVEL = {
    # the schema, and a text longer than its column
    "an unreadable number, and not the references to it", "impossible date",
    "date in another form", "impossible hour", "time without offset",
    "left_on neither date nor null", "missing required field", "unknown kind of intake",
    "unknown field", "another version", "unknown time zone",
    "a language the shop cannot speak", "description too long for its column",
    "price change with a reason too long", "discount reason too long",
    # references, and keys used twice
    "duplicate donor ref", "unknown member receives", "unknown donor",
    "price change of an unknown code", "disposal by an unknown member",
    "expense names an unknown intake", "shift of an unknown member", "cashier unknown",
    "void by someone who is not a member", "refund of an unknown sale",
    "refund of a code not in that sale", "a correction by nobody", "a payout to nobody",
    "duplicate member number", "two policies in one month", "sale number used twice",
    # the fields of an entry's kind
    "donor on a consignment", "owner on a donation", "supplier on a donation",
    "expense names a donation", "closed shift without its count",
    "count note of a shift still open", "count of a shift not closed",
    "cash handed over for a transfer",
    # order within an entry
    "shift closing before it opened", "void before the sale", "refund before its sale",
    # members' days and shifts' hours
    "member acts before she joined", "cashier not a member yet, with no shift",
    "cashier had left", "refund by someone not a member yet",
    "sale outside any shift of its cashier",
}  # fmt: skip

GROUPS = (
    (cases.CASES, stock_example),
    (cases.COUNTER_CASES, importable_example),
    (cases.MONTH_CASES, full_example),
)
REPLAYED = [
    pytest.param(change, base, name, id=name)
    for group, base in GROUPS
    for name, (change, _expected) in group.items()
    if name not in FILE_LEVEL
]


def entry(path: str) -> str:
    """The entry a problem's path is in: ``/sales/2/lines/0/code`` → ``/sales/2``."""
    return "/".join(path.split("/")[:3])


@pytest.mark.parametrize(("change", "base", "name"), REPLAYED)
def test_the_services_refuse_what_the_check_finds_by_replaying(
    change, base, name, session, app, monkeypatch
):
    journal = base()
    change(journal)
    found = check_journal(journal)
    assert found, "the check finds it"
    monkeypatch.setattr(importer, "check_journal", lambda *_args, **_kw: [])
    refused = None
    try:
        import_journal(session, journal, app_config=app.config)
    except JournalInvalid as error:
        refused = error.problems[0].path
    finally:
        session.rollback()
    assert refused is not None, "the services write what the check finds"
    assert entry(refused) == entry(found[0].path), (refused, found)


def test_the_lists_name_cases_that_exist():
    names = {name for group, _base in GROUPS for name in group}
    assert names >= FILE_LEVEL
