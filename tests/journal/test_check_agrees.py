"""The journal check and the import agree: each broken journal of ``test_check`` is
refused by the import at the entry the check names first.

The import makes the check's file-level checks (its schema and texts' lengths, references
and keys, the fields of each kind of entry, the order within an entry, who was a member
and which shift was open when) and then writes the history through the services, whose
first refusal it raises at its entry: the history's rules are the services' alone. The
check replays the history by a rulebook of its own; this is where the two are held to
one answer, until the check is the services' refusals too.
"""

from __future__ import annotations

import pytest

from shop.journal import check_journal, import_journal
from shop.journal.problems import JournalInvalid

from . import test_check as cases
from .conftest import full_example, importable_example, stock_example

GROUPS = (
    (cases.CASES, stock_example),
    (cases.COUNTER_CASES, importable_example),
    (cases.MONTH_CASES, full_example),
)
BROKEN = [
    pytest.param(change, base, id=name)
    for group, base in GROUPS
    for name, (change, _expected) in group.items()
]


def entry(path: str) -> str:
    """The entry a problem's path is in: ``/sales/2/lines/0/code`` → ``/sales/2``."""
    return "/".join(path.split("/")[:3])


@pytest.mark.parametrize(("change", "base"), BROKEN)
def test_the_import_refuses_what_the_check_finds_at_the_same_entry(change, base, session, app):
    journal = base()
    change(journal)
    found = check_journal(journal)
    assert found, "the check finds it"
    with pytest.raises(JournalInvalid) as refused:
        import_journal(session, journal, app_config=app.config)
    session.rollback()
    assert entry(refused.value.problems[0].path) == entry(found[0].path), refused.value.problems


@pytest.mark.parametrize(("change", "base"), BROKEN)
def test_the_check_without_its_replay_finds_nothing_the_whole_check_does_not(change, base):
    """What the import checks before it writes is part of what the check finds; the rest
    is the services' to refuse (the test above)."""
    journal = base()
    change(journal)
    found = check_journal(journal)
    assert set(check_journal(journal, replay=False)) <= set(found)
