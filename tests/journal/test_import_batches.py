"""The import lets go of what it has written as it goes: the session is emptied every
``BATCH`` entries and rows are loaded again by id when a later entry needs them. With a
batch of one entry, every reference crosses an emptied session: the shop must still come
out the same, and the session never holds more than one entry's rows."""

from __future__ import annotations

import pytest

from shop.journal import export_journal, import_journal, importer, normalise_journal
from shop.services import month as month_service

from .conftest import full_example, wipe
from .test_round_trip import TZ, build_shop, run_the_counter


@pytest.fixture
def batch_of_one(monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 1)


def test_a_shop_imported_one_entry_at_a_time_exports_the_same(app, session, batch_of_one):
    run_the_counter(session, build_shop(session))
    first = export_journal(session, timezone=TZ)
    wipe(session)
    seen = []

    def progress(done, total):
        seen.append((done, total, len(session.identity_map)))

    import_journal(session, first, app_config=app.config, progress=progress)

    assert export_journal(session, timezone=TZ) == first
    total = seen[0][1]
    done = [done for done, _total, _rows in seen]
    assert done[0] == 0 and done[-1] == total and done == sorted(set(done))
    assert all(each == total for _done, each, _rows in seen)
    # Emptied after each entry: what one entry loads and writes, never the history so far.
    assert max(rows for _done, _total, rows in seen) < 40


def test_the_worked_example_one_entry_at_a_time(app, session, batch_of_one):
    journal = full_example()
    summary = import_journal(session, journal, app_config=app.config)

    assert (summary.sales, summary.payouts, summary.closed_months) == (4, 3, 3)
    assert export_journal(session, timezone=app.config["SHOP_TZ"]) == normalise_journal(journal)
    january = month_service.month_data(session, "2027-01", app.config["SHOP_TZ"])
    assert [m["due_dong"] for m in january["members"]] == [19_238, -70_587, 9_176, 19_237]


def test_an_import_through_the_api_one_entry_at_a_time(app, batch_of_one):
    # The signed-in coordinator is let go of with the rest each time the session empties:
    # the request still ends well, and she stays signed in.
    from .test_api import sign_in_as_hong

    client = sign_in_as_hong(app)
    journal = full_example()
    response = client.post("/api/v1/journal", json=journal)

    assert response.status_code == 201, response.json
    assert client.get("/api/v1/journal").json == normalise_journal(journal)
    assert client.get("/api/v1/me").json["joined_on"] == "2026-10-01"
