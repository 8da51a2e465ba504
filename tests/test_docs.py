"""The rules' own texts are in the repository and the code cites them there.

docs/sharing.md (the money rule), docs/journal.md (the journal format) and docs/glossary.md
(one word per thing) are what the code's comments point at; nothing in the shop or its tests
cites a text outside the repository.
"""

import json
import re
from pathlib import Path

from tests.test_translations import vietnamese

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _glossary_tables() -> tuple[list[list[str]], list[list[str]]]:
    text = (DOCS / "glossary.md").read_text()
    words, avoid = text.split("## Words not to use")
    rows = []
    for part in (words, avoid):
        cells = [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in part.splitlines()
            if line.startswith("|") and not line.startswith("|---")
        ]
        rows.append(cells[1:])  # the header row
    return rows[0], rows[1]


def _screen_text() -> str:
    return "\n".join(m.string for m in vietnamese() if m.id and isinstance(m.string, str))


def test_every_screen_word_of_the_glossary_is_on_screen():
    words, _avoid = _glossary_tables()
    screen = _screen_text().lower()
    assert len(words) > 30
    missing = [row[2] for row in words if row[2] and row[2].lower() not in screen]
    assert missing == []


def test_words_ruled_out_by_the_glossary_are_not_on_screen():
    _words, avoid = _glossary_tables()
    screen = _screen_text().lower()
    assert avoid, "the glossary lists the words not to use"
    used = [
        row[0]
        for row in avoid
        if re.search(r"(?<!\w)" + re.escape(row[0].lower()) + r"(?!\w)", screen)
    ]
    assert used == []


def test_the_journal_page_names_every_part_of_the_schema():
    schema = json.loads((ROOT / "shop/journal/journal.schema.json").read_text())
    page = (DOCS / "journal.md").read_text()
    missing = [key for key in schema["properties"] if f"`{key}`" not in page]
    assert missing == []


def test_the_code_cites_the_rules_in_the_repository():
    """A comment that names the sharing rule or the journal format names the file here."""
    outside = []
    for folder in ("shop", "tests", "bench", "reliability"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".py", ".json", ".html", ".md"} or path == Path(__file__):
                continue
            text = path.read_text(errors="replace")
            for number, line in enumerate(text.splitlines(), 1):
                if re.search(r"(?<![\w/])(SHARING|PRODUCT|STYLE)\.md", line):
                    outside.append(f"{path.relative_to(ROOT)}:{number}")
                if "../shared" in line or "/shared/" in line:
                    outside.append(f"{path.relative_to(ROOT)}:{number}")
    assert outside == []


def test_the_docs_cited_exist():
    cited = set()
    for folder in ("shop", "tests", "bench", "reliability"):
        for path in (ROOT / folder).rglob("*.py"):
            cited |= set(re.findall(r"docs/[\w./-]+\.md", path.read_text()))
    cited |= set(re.findall(r"docs/[\w./-]+\.md", (ROOT / "README.md").read_text()))
    assert {"docs/sharing.md", "docs/journal.md", "docs/glossary.md"} <= cited
    assert [c for c in cited if not (ROOT / c).exists()] == []
