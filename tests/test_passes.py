"""``make test``'s PostgreSQL pass runs only the tests that reach the database under test
(``SHOP_TEST_DATABASE_ONLY=1``, see tests/conftest.py): through the ``database`` fixture, or
``server_under_test`` for a test that makes its own database on the server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_reads_the_server_from_the_environment_itself():
    """Such a test would be left out of the PostgreSQL pass without anyone seeing it."""
    reads = re.compile(r"environ\W{1,8}(get\W{1,3})?SHOP_TEST_DATABASE")
    found = [
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("*.py")
        if path not in (TESTS / "conftest.py", TESTS / "test_passes.py")
        and reads.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def collected(*paths: str, **env: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         *paths],
        cwd=TESTS.parent, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "SHOP_TEST_DATABASE": "", "SHOP_TEST_DATABASE_ONLY": "", **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}


def test_the_postgresql_pass_leaves_out_only_what_never_reaches_it():
    paths = (
        "tests/domain/test_money.py",  # rules alone
        "tests/domain/test_vietqr.py",  # the transfer's QR code
        "tests/services/test_counter_status.py",  # the database fixture
        "tests/reliability/test_crash.py",  # a database of its own on the server
        "tests/reliability/test_offline_counter.py",  # always its own SQLite shop
    )
    server = {"SHOP_TEST_DATABASE": "postgresql://localhost/test"}
    # Collecting connects to nothing; only the pass that asks for it leaves tests out.
    assert collected(*paths, **server) == set(paths)
    assert collected(*paths, **server, SHOP_TEST_DATABASE_ONLY="1") == {
        "tests/services/test_counter_status.py",
        "tests/reliability/test_crash.py",
    }
