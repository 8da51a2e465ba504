"""The bytes ``flask journal export`` writes, pinned.

``tests/data/journals/`` holds three journals as the shop exported them (the shops of
``test_round_trip`` and ``test_counts``, built through the services: the counter with a
lot sold short and the bank inbox; closed months, a corrected payout paid by transfer and
a corrected expense; stock counts, one closed under an earlier rule). Between them they use
every key the schema has. Each, imported into an empty shop, exports again byte for byte:
the same entries, their keys in the same order, the same layout. A change to what the
export writes or how fails here before a shop's backups start to differ.

Should the journal's format change on purpose, write the files again from those shops.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shop.extensions import db
from shop.journal import import_journal
from shop.journal.cli import journal_cli

JOURNALS = sorted((Path(__file__).resolve().parent.parent / "data" / "journals").glob("*.json"))
SCHEMA = Path(__file__).resolve().parents[2] / "shop" / "journal" / "journal.schema.json"


@pytest.fixture
def cli(app, runner):
    if "journal" not in app.cli.commands:
        app.cli.add_command(journal_cli)
    return runner


@pytest.mark.parametrize("path", JOURNALS, ids=lambda path: path.stem)
def test_a_journal_the_shop_wrote_exports_again_byte_for_byte(app, cli, path):
    written = path.read_bytes()
    with app.app_context():
        import_journal(db.session, json.loads(written), app_config=app.config)
        db.session.commit()

    result = cli.invoke(args=["journal", "export", "-"])

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == written


def _keys(value, path: str, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            found.add(f"{path}/{key}")
            _keys(inner, f"{path}/{key}", found)
    elif isinstance(value, list):
        for inner in value:
            _keys(inner, f"{path}[]", found)
    return found


def _schema_keys(node: dict, path: str, found: set[str]) -> set[str]:
    for key, inner in node.get("properties", {}).items():
        found.add(f"{path}/{key}")
        _schema_keys(inner, f"{path}/{key}", found)
    if isinstance(node.get("items"), dict):
        _schema_keys(node["items"], f"{path}[]", found)
    return found


def test_the_pinned_journals_use_every_key_of_the_schema():
    used: set[str] = set()
    for path in JOURNALS:
        _keys(json.loads(path.read_text(encoding="utf-8")), "", used)

    schema = _schema_keys(json.loads(SCHEMA.read_text(encoding="utf-8")), "", set())

    assert len(JOURNALS) == 3
    assert schema - used == set()
    assert used - schema == set()
