"""The journal check and the services agree: each broken journal of ``test_check`` that
needs the history replayed to be found is refused by the services too, at the same entry.

Issue 19 asks that a journal be checked by replaying it through the services, so that
the check and the import can never disagree; for that, every rule the check applies in
its replay must be a rule of the services. Each case below is written with the check
turned off (what the services alone make of it) and must be refused at the entry the
check names. The cases the check finds from the file alone (its schema, its references,
its keys used twice, the order within an entry) stay the file's checks and are not
replayed. :data:`NOT_IN_THE_SERVICES_YET` lists the rules that are still the check's
alone: the services write those journals; each is asserted to be written, so that a rule
moved into a service must be moved out of that list too.
"""

from __future__ import annotations

import pytest

from shop.journal import check_journal, import_journal, importer
from shop.journal.problems import JournalInvalid

from . import test_check as cases
from .conftest import full_example, importable_example, stock_example

#: What the file alone tells: its schema, references, keys, and order within an entry.
FILE_LEVEL = {
    "an unreadable number, and not the references to it", "impossible date",
    "date in another form", "impossible hour", "time without offset",
    "left_on neither date nor null", "missing required field", "unknown kind of intake",
    "duplicate donor ref", "unknown member receives", "unknown donor",
    "price change of an unknown code", "disposal by an unknown member",
    "expense names an unknown intake", "shift of an unknown member",
    "shift closing before it opened", "closed shift without its count", "cashier unknown",
    "void by someone who is not a member", "void before the sale", "refund of an unknown sale",
    "refund of a code not in that sale", "refund before its sale", "a correction by nobody",
    "a payout to nobody", "unknown field", "another version", "duplicate member number",
    "two policies in one month", "unknown time zone", "a language the shop cannot speak",
    "count note of a shift still open", "count of a shift not closed",
    "cash handed over for a transfer", "sale number used twice",
}  # fmt: skip

#: Rules only the check applies so far (issue 19: each is to become the services' own).
NOT_IN_THE_SERVICES_YET = {
    "member acts before she joined", "cashier not a member yet, with no shift",
    "cashier had left", "refund by someone not a member yet",
    "donor on a consignment", "owner on a donation", "supplier on a donation",
    "expense names a donation",
    "description too long for its column", "price change with a reason too long",
    "discount reason too long",
    "sale outside any shift of its cashier", "payments that do not add up",
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
    if name in NOT_IN_THE_SERVICES_YET:
        assert refused is None, f"the services refuse it now at {refused}: list it no more"
    else:
        assert refused is not None and entry(refused) == entry(found[0].path), (refused, found)


def test_the_lists_name_cases_that_exist():
    names = {name for group, _base in GROUPS for name in group}
    assert names >= FILE_LEVEL | NOT_IN_THE_SERVICES_YET
    assert not FILE_LEVEL & NOT_IN_THE_SERVICES_YET
