"""A service refuses with a code; the words are chosen where the refusal is shown
(``shop.messages.REFUSALS``). Every code a service raises has its words, and the services
that have moved to codes choose no words themselves (no Flask, no translation)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from shop.messages import REFUSALS, refusal
from shop.services.errors import CODE, ClockTime, Day, Dong, InvalidInput, Moment, MonthName

SHOP = Path(__file__).resolve().parent.parent / "shop"
SERVICES = SHOP / "services"
ERRORS = {"ShopError", "InvalidInput", "NotFound", "Forbidden", "SignInRefused", "CountClosed"}
#: What turns something into words: a refusal's first argument is never one of these.
WORDS = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "str", "format"}
#: The fixed head of an f-string code ("sale.{...}", "label_printer.{...}_out_of_range").
CODE_HEAD = re.compile(r"[a-z][a-z0-9_]*\.")
#: Services that choose no words: they import neither Flask nor Flask-Babel nor the edge's
#: messages. The rest are moving to codes too (issue "one home for every rule").
WORDLESS = [
    "bank.py",
    "counter.py",
    "counts.py",
    "days.py",
    "expenses.py",
    "idempotency.py",
    "members.py",
    "month.py",
    "printing.py",
    "statements.py",
    "stock.py",
    "visibility.py",
]


def _refusals(folder: Path = SHOP):
    """Every call of a refusal class under ``folder``, with its first argument and where
    (not a ``Forbidden`` a module imports from elsewhere, such as Werkzeug's)."""
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text())
        foreign = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and not (node.module or "").startswith("shop")
            for alias in node.names
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in ERRORS or (isinstance(func, ast.Name) and name in foreign):
                continue
            first = node.args[0] if node.args else None
            yield f"{path.relative_to(SHOP.parent)}:{node.lineno}", first


def _raised_codes(folder: Path = SERVICES) -> dict[str, str]:
    """Every literal code (or f-string code's fixed head) raised under ``folder``, with where."""
    found = {}
    for where, first in _refusals(folder):
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            if CODE.fullmatch(first.value):
                found[first.value] = where
        elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
            found[first.values[0].value + "*"] = where
    return found


def _in_words(first: ast.expr | None) -> bool:
    """Whether a refusal's first argument is (or may be) words rather than a code: words
    written out, a translation call, ``str()`` of something, or another error's message.
    (A code held in a variable is checked when it is raised: see ``ShopError``.)"""
    if first is None:
        return True
    if isinstance(first, ast.Constant):
        return not (isinstance(first.value, str) and CODE.fullmatch(first.value))
    if isinstance(first, ast.JoinedStr):
        head = first.values[0]
        return not (isinstance(head, ast.Constant) and CODE_HEAD.match(str(head.value)))
    if isinstance(first, ast.Call):
        called = first.func
        name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
        return name in WORDS
    return isinstance(first, ast.Attribute) and first.attr == "message"


def test_every_code_a_service_raises_has_its_words():
    codes = _raised_codes()
    assert len(codes) > 60  # the scan finds them (it would find none if the shape changed)
    missing = []
    for code, where in codes.items():
        if code.endswith("*"):
            if not any(known.startswith(code[:-1]) for known in REFUSALS):
                missing.append(f"{where}: {code}")
        elif code not in REFUSALS:
            missing.append(f"{where}: {code}")
    assert missing == []


def test_every_code_in_the_catalogue_is_well_formed():
    assert [code for code in REFUSALS if not CODE.fullmatch(code)] == []


@pytest.mark.parametrize("name", WORDLESS)
def test_a_service_on_codes_chooses_no_words(name):
    source = (SERVICES / name).read_text()
    imports = re.findall(r"^\s*(?:from|import) ([\w.]+)", source, re.M)
    assert [i for i in imports if i.split(".")[0] == "flask" or i.startswith("flask_")] == []
    assert "shop.messages" not in imports and "shop.i18n" not in imports
    assert "_l(" not in source


def test_a_refusal_names_its_values_in_the_readers_language(app):
    from datetime import UTC, date, datetime

    at = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)  # 00:05 on 1 December in Hanoi
    error = InvalidInput(
        "payout.too_much", "amount_dong", left=Dong(45000), name="Lan", month=MonthName("2026-11")
    )
    with app.test_request_context():
        with force_locale("en"):
            assert (
                str(error.message)
                == "At most 45.000\xa0₫ can still be paid to Lan for November 2026."
            )
            assert error.fields == {"amount_dong": [str(error.message)]}
            assert str(refusal("pin.phone_locked", {"time": ClockTime(at)})).endswith("00:05.")
            assert "01/12/2026 00:05" in str(
                refusal("month.shift_still_open", {"name": "Lan", "time": Moment(at)})
            )
            assert "30/11/2026" in str(
                refusal(
                    "month.not_ended",
                    {"month": MonthName("2026-11"), "day": Day(date(2026, 11, 30))},
                )
            )
        with force_locale("vi"):
            assert "tháng 11" in str(error.message) and "45.000" in str(error.message)


def test_every_refusal_in_the_shop_is_a_code_never_words():
    """Pages, the API and the CLI refuse with codes too: the words are chosen in one place."""
    found = list(_refusals())
    assert len(found) > 200  # the scan finds them (it would find none if the shape changed)
    assert [where for where, first in found if _in_words(first)] == []


def test_every_code_the_edge_raises_has_its_words():
    missing = [
        f"{where}: {code}"
        for code, where in _raised_codes(SHOP).items()
        if not (
            any(known.startswith(code[:-1]) for known in REFUSALS)
            if code.endswith("*")
            else code in REFUSALS
        )
    ]
    assert missing == []


def test_words_are_refused_where_a_code_is_wanted():
    with pytest.raises(AssertionError, match="a refusal is a code"):
        InvalidInput("nobody has a part in 2026-11")
    assert InvalidInput("statements.nobody", month="2026-11").code == "statements.nobody"
