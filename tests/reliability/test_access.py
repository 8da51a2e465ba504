"""A member (her page session, or a counter token of the member role) trying to read or
change another member's statement, PIN, phone and the tokens: every try refused; guessing
a PIN locks the guessing address first, her phone only when guessed from many. See
reliability/access.py."""

from reliability.access import run_access
from reliability.live import fill_shop


def test_no_member_reads_another_members_papers(app):
    shop = fill_shop(app, cashiers=1, plain_members=2, items=3, lots=1)
    figures = run_access(app, shop, database="test")
    assert figures.attempted >= 25
    assert figures.succeeded == 0, figures.problems
    assert figures.problems == []
    assert figures.address_locked_after == app.config["PIN_ADDRESS_MAX_FAILURES"]
    assert figures.owner_signs_in
    assert figures.locked_after == app.config["PIN_MAX_FAILURES"]
