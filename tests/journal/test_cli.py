"""``flask journal export FILE``, ``flask journal check FILE`` and ``flask journal import FILE``."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.journal import import_journal, normalise_journal
from shop.journal.cli import journal_cli
from shop.journal.reader import array_sections
from shop.models import Member, ShopProfile

from .conftest import full_example, importable_example, wipe


@pytest.fixture
def cli(app, runner):
    # shop/cli.py registers the group once it is wired in; until then the test does.
    if "journal" not in app.cli.commands:
        app.cli.add_command(journal_cli)
    return runner


@pytest.fixture
def imported(app):
    """The shop of the worked example, committed."""
    with app.app_context():
        import_journal(db.session, importable_example(), app_config=app.config)
        db.session.commit()


def count_members(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Member.id)))


def test_export_writes_the_journal_to_a_file_as_readable_utf8(cli, imported, tmp_path):
    target = tmp_path / "journal.json"

    result = cli.invoke(args=["journal", "export", str(target)])

    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.startswith('{\n  "format": "shop-journal",\n  "version": 1,')
    assert "Nguyễn Thị Hồng" in text  # not \u escapes
    assert json.loads(text) == normalise_journal(importable_example())


def test_export_to_standard_output(cli, imported):
    result = cli.invoke(args=["journal", "export", "-"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == normalise_journal(importable_example())


def test_export_of_a_shop_not_set_up_says_so(cli, tmp_path):
    result = cli.invoke(args=["journal", "export", str(tmp_path / "j.json")])

    assert result.exit_code == 1
    assert "no name yet" in result.stderr
    assert not (tmp_path / "j.json").exists()


def test_import_reads_a_file_and_commits(cli, app, tmp_path):
    source = tmp_path / "journal.json"
    source.write_text(json.dumps(full_example(), ensure_ascii=False), encoding="utf-8")

    result = cli.invoke(args=["journal", "import", str(source)])

    assert result.exit_code == 0, result.output
    assert (
        "imported: 4 members, 2 donors, 5 intakes (6 items, 0 lots), 0 price changes, "
        "0 disposals, 7 shifts, 4 sales (0 voided), 1 refund, 2 expenses, 3 payouts, "
        "3 closed months, 1 policy"
    ) in result.stdout
    assert count_members(app) == 4


def test_export_then_import_elsewhere_gives_the_same_journal(cli, app, imported, tmp_path):
    target = tmp_path / "journal.json"
    assert cli.invoke(args=["journal", "export", str(target)]).exit_code == 0
    exported = json.loads(target.read_text(encoding="utf-8"))
    with app.app_context():
        wipe(db.session)
        db.session.commit()

    assert cli.invoke(args=["journal", "import", str(target)]).exit_code == 0
    again = cli.invoke(args=["journal", "export", "-"])

    assert json.loads(again.stdout) == exported


def test_a_journal_with_problems_prints_each_and_writes_nothing(cli, app, tmp_path):
    journal = full_example()
    journal["intakes"][1]["items"][0]["code"] = "A"
    journal["members"][0]["joined_on"] = "2026-02-30"
    source = tmp_path / "broken.json"
    source.write_text(json.dumps(journal, ensure_ascii=False), encoding="utf-8")

    result = cli.invoke(args=["journal", "import", str(source)])

    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if not line.startswith("[")]
    assert lines == [
        '/members/0/joined_on: "2026-02-30" is not a real date like 2026-11-01.',
        "/intakes/1/items/0/code: Code A is used twice (the other is at /intakes/0/items/0).",
        "/sales/0/lines/1/code: There is no item or lot with code B.",
        "3 problem(s); nothing was imported.",
    ]
    assert result.stdout == ""
    assert count_members(app) == 0
    with app.app_context():
        assert db.session.get(ShopProfile, 1) is None


def test_check_lists_every_problem_the_historys_too_and_writes_nothing(cli, app, tmp_path):
    journal = importable_example()
    journal["members"][0]["joined_on"] = "2026-02-30"
    journal["sales"][3]["lines"][0]["code"] = "A"  # sold already by sale 1
    source = tmp_path / "broken.json"
    source.write_text(json.dumps(journal, ensure_ascii=False), encoding="utf-8")

    result = cli.invoke(args=["journal", "check", str(source)])

    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if not line.startswith("[")]
    assert lines[0] == '/members/0/joined_on: "2026-02-30" is not a real date like 2026-11-01.'
    assert lines[1].startswith("/sales/3/lines/0/code: Item A was already sold (/sales/0/")
    assert lines[-1] == "2 problem(s)."
    assert result.stdout == ""
    assert count_members(app) == 0


def test_check_of_a_sound_journal_says_so(cli, app, tmp_path):
    source = tmp_path / "shop.json"
    source.write_text(json.dumps(full_example(), ensure_ascii=False), encoding="utf-8")

    result = cli.invoke(args=["journal", "check", str(source)])

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "The journal is sound: it can be imported into an empty shop.\n"
    assert count_members(app) == 0


def test_a_file_that_is_not_json_is_refused(cli, app, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_text("members: Hồng, Ngọc", encoding="utf-8")

    result = cli.invoke(args=["journal", "import", str(source)])

    assert result.exit_code == 1
    assert "\n/: the file is not JSON: " in result.stderr
    assert count_members(app) == 0


def test_import_into_a_shop_with_a_history_is_refused(cli, app, imported, tmp_path):
    source = tmp_path / "journal.json"
    source.write_text(json.dumps(importable_example(), ensure_ascii=False), encoding="utf-8")

    result = cli.invoke(args=["journal", "import", str(source)])

    assert result.exit_code == 1
    assert "only be imported into an empty shop" in result.stderr
    assert count_members(app) == 4


def test_import_shows_its_progress_on_standard_error(cli, app, tmp_path):
    source = tmp_path / "journal.json"
    source.write_text(json.dumps(full_example(), ensure_ascii=False), encoding="utf-8")
    size = source.stat().st_size

    result = cli.invoke(args=["journal", "import", str(source)])

    assert result.exit_code == 0, result.output
    # Not a terminal: a line at each tenth of the way, from nothing to all of it, for the
    # reading of the file, its check and the writing, one after the other.
    bars = {"read": [], "checked": [], "written": []}
    for line in result.stderr.splitlines():
        bars[next(word for word in bars if f" {word} " in line)].append(line)
    read, checked, written = bars.values()
    passes = 1 + 10  # the keys, then each of the example's 10 lists
    every_list = 1 + len(array_sections())  # at first: as if the file had every list
    assert every_list == 15
    assert read[0] == (
        f"[------------------------] 0/{size * every_list >> 10:,} kB read (once for the keys, "
        "once for each list) (0%)"
    )
    whole = size * passes >> 10
    assert read[-1].startswith(f"[########################] {whole:,}/{whole:,} kB read")
    assert checked[0].startswith("[------------------------] 0/")
    assert checked[-1].startswith("[########################] ")
    assert " entries checked (100%) in " in checked[-1]
    assert written[0] == "[------------------------] 0/45 entries written (0%)"
    assert all("/45 entries written (" in line for line in written)
    assert written[1].endswith(" left") and "about " in written[1]
    assert written[-1].startswith("[########################] 45/45 entries written (100%) in ")
    assert 10 <= len(written) <= 12
    assert "entries" not in result.stdout


@pytest.mark.parametrize("depth", [25, 100_000])
def test_a_journal_nested_too_deep_is_refused_where_it_is(cli, app, tmp_path, depth):
    journal = json.dumps(full_example(), ensure_ascii=False)
    deep = "[" * depth + "1" + "]" * depth
    source = tmp_path / "deep.json"
    source.write_text(journal.replace('"name": "NEW ME', f'"deep": {deep}, "name": "NEW ME', 1))

    result = cli.invoke(args=["journal", "import", str(source)])

    assert result.exit_code == 1
    problem = [line for line in result.stderr.splitlines() if line.startswith("/")]
    assert len(problem) == 1 and problem[0].startswith("/shop: "), result.stderr
    assert "nest" in problem[0] and "Traceback" not in result.output
    assert count_members(app) == 0


class Clock:
    """The moments the progress bar reads, one per call."""

    def __init__(self, *moments):
        self.moments = list(moments)

    def __call__(self):
        return self.moments.pop(0)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_on_a_terminal_redraws_one_line_with_the_time_left():
    from shop.journal.cli import ProgressBar

    screen = Terminal()
    bar = ProgressBar(screen, clock=Clock(100.0, 130.0, 130.1, 190.0, 4000.0))
    bar(0, 1000)
    bar(100, 1000)  # 30 s for 100: 900 more take 270 s
    bar(101, 1000)  # too soon to draw again
    bar(200, 1000)  # 90 s for 200: 800 more take 360 s
    bar(1000, 1000)
    bar.stop()

    drawn = screen.getvalue().split("\r")[1:]
    assert [line.removesuffix("\x1b[K") for line in drawn] == [
        "[------------------------] 0/1,000 entries written (0%)",
        "[##----------------------] 100/1,000 entries written (10%), about 4 min 30 s left",
        "[#####-------------------] 200/1,000 entries written (20%), about 6 min 00 s left",
        "[########################] 1,000/1,000 entries written (100%) in 1 h 05 min\x1b[K\n",
    ]
