"""A journal file read entry by entry (shop/journal/reader.py): the check and the import see
exactly what they see in the parsed file, and the lists are never held whole."""

from __future__ import annotations

import json
import os
import tempfile

import pytest

from shop.extensions import db
from shop.journal import (
    JournalInvalid,
    check_journal,
    export_journal,
    import_journal,
    normalise_journal,
)
from shop.journal.cli import journal_cli
from shop.journal.reader import NotJSON, Section, read_journal
from shop.journal.timeline import timeline

from .conftest import full_example, importable_example, stock_example
from .test_check import (
    CASES,
    COUNTER_CASES,
    MONTH_CASES,
    SOUND_COUNTER_HISTORIES,
    SOUND_MONTH_HISTORIES,
)


def written(tmp_path, journal, name="journal.json"):
    path = tmp_path / name
    path.write_text(json.dumps(journal, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def changed(example, change):
    journal = example()
    change(journal)
    return journal


EVERY_CASE = (
    [(stock_example, change) for change, _ in CASES.values()]
    + [(importable_example, change) for change, _ in COUNTER_CASES.values()]
    + [(importable_example, change) for change in SOUND_COUNTER_HISTORIES.values()]
    + [(full_example, change) for change, _ in MONTH_CASES.values()]
    + [(full_example, change) for change in SOUND_MONTH_HISTORIES.values()]
)
EVERY_ID = (
    list(CASES) + list(COUNTER_CASES) + list(SOUND_COUNTER_HISTORIES) + list(MONTH_CASES)
) + list(SOUND_MONTH_HISTORIES)


@pytest.mark.parametrize(("example", "change"), EVERY_CASE, ids=EVERY_ID)
def test_the_check_of_a_file_finds_what_the_check_of_the_parsed_file_finds(
    tmp_path, example, change
):
    journal = changed(example, change)
    expected = check_journal(journal)

    with read_journal(written(tmp_path, journal)) as read:
        assert check_journal(read) == expected


def test_the_lists_are_read_back_from_the_store_a_new_copy_each_time(tmp_path):
    journal = full_example()

    with read_journal(written(tmp_path, journal)) as read:
        assert list(read) == list(journal)  # the keys, in the file's order
        sales = read["sales"]
        assert isinstance(sales, Section) and len(sales) == len(journal["sales"])
        first, again = list(sales), list(sales)
        assert first == again == journal["sales"]
        assert first[0] is not again[0]  # nothing kept between two passes
        assert sales[-1] == journal["sales"][-1] and sales[1:3] == journal["sales"][1:3]
        with pytest.raises(IndexError):
            sales[len(sales)]
        assert read["shop"] == journal["shop"] and read["version"] == 1
        # The timeline sorted in the store: the same events in the same order.
        assert [(e.at, e.step, e.path, e.entry) for e in timeline(read)] == [
            (e.at, e.step, e.path, e.entry) for e in timeline(journal)
        ]
        assert len(timeline(read)) == len(timeline(journal))
        directory = read.store.directory
    assert not os.path.exists(directory)  # the store is gone once closed


def test_a_file_imports_as_the_parsed_file_does(app, tmp_path):
    path = written(tmp_path, importable_example())
    with app.app_context(), read_journal(path) as read:
        import_journal(db.session, read, app_config=app.config)
        db.session.flush()
        assert export_journal(db.session, timezone=app.config["SHOP_TZ"]) == normalise_journal(
            importable_example()
        )
        db.session.rollback()


def test_what_is_not_a_journal_file(tmp_path):
    def problems_of(text: bytes):
        path = tmp_path / "bad.json"
        path.write_bytes(text)
        with pytest.raises(JournalInvalid) as raised:
            read_journal(path).close()
        return [str(problem) for problem in raised.value.problems]

    assert problems_of(b"[1, 2]") == ["/: The file is not a JSON object, so it is not a journal."]
    assert problems_of(b'{"sales": [], "members": [], "sales": []}') == [
        "/sales: sales appears more than once in the file; keep one."
    ]
    deep = b"[" * 200_000 + b"]" * 200_000  # ijson's builder would take gigabytes of it
    assert problems_of(b'{"format": "shop-journal", "sales": [' + deep + b"]}") == [
        "/sales: This nests lists and objects deeper than 20."
    ]
    for text in (b"members: Hong", b'{"members": [', b'{"shop": "Ti\xe1m"}', b""):
        path = tmp_path / "not.json"
        path.write_bytes(text)
        with pytest.raises(NotJSON):
            read_journal(path).close()


def test_an_unknown_key_is_named_without_being_read(tmp_path):
    journal = full_example()
    journal["photos"] = ["x" * 1000] * 100

    with read_journal(written(tmp_path, journal)) as read:
        assert read["photos"] is None
        problems = check_journal(read)
    assert [str(p) for p in problems] == [
        "/photos: Unknown field photos: the journal has no such field here."
    ]
    assert problems == check_journal(journal)


def test_import_from_standard_input_leaves_no_file_behind(app, runner, tmp_path, monkeypatch):
    if "journal" not in app.cli.commands:
        app.cli.add_command(journal_cli)
    spare = tmp_path / "spare"
    spare.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spare))
    text = json.dumps(full_example(), ensure_ascii=False)

    result = runner.invoke(args=["journal", "import", "-"], input=text)

    assert result.exit_code == 0, result.output
    assert "imported: 4 members" in result.stdout
    assert list(spare.iterdir()) == []  # neither the copy of the input nor the store
