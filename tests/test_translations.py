"""Every visible string is translatable and has its Vietnamese translation."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHOD_MAP = [("shop/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def vietnamese():
    with open(ROOT / "shop/translations/vi/LC_MESSAGES/messages.po", "rb") as handle:
        return read_po(handle)


def test_every_message_in_the_code_has_a_vietnamese_translation():
    catalog = vietnamese()
    missing = sorted(
        m for m in source_messages() if not catalog.get(m) or not catalog.get(m).string
    )
    assert missing == [], "run `make messages` and translate these in vi/messages.po"


def test_translations_keep_their_placeholders_and_are_not_fuzzy():
    for message in vietnamese():
        if not message.id or not message.string:
            continue  # a message not translated yet is the other test's business
        assert not message.fuzzy, message.id
        assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), (
            message.id
        )


def test_templates_have_no_bare_english_text():
    """Text between tags in templates must go through _() (numbers and symbols may not)."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", text, flags=re.S)
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r"&#?\w+;", " ", text)  # entities such as &nbsp;
        for chunk in re.findall(r">([^<]+)<", text):
            words = re.findall(r"[A-Za-zÀ-ỹ]{2,}", chunk)
            if words:
                offenders.append(f"{path.name}: {chunk.strip()}")
    assert offenders == []


def test_the_catalogue_has_each_message_once_and_one_translation_each():
    """A merge can leave a message twice, or a translation with no message before it: the
    compiler keeps one silently, so say it here (as ``msgfmt --check`` would)."""
    text = (ROOT / "shop/translations/vi/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    ids = [
        "".join(re.findall(r'"(.*)"', found))
        for found in re.findall(r'^msgid ("(?:.*)"(?:\n".*")*)$', text, re.MULTILINE)
    ]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    entries = [block for block in re.split(r"\n\s*\n", text) if block.strip()]
    for block in entries:
        kept = [line for line in block.splitlines() if not line.startswith("#")]
        assert sum(line.startswith("msgstr") for line in kept) <= 1, block
