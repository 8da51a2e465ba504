"""gunicorn killed with SIGKILL (master and workers at once) while cashiers ring up sales
through the API, restarted on the same database, twice: no acknowledged sale lost or
changed, no sale half-written, nothing sold twice, lots adding up, and every unanswered
request, sent again with its client id, makes at most one sale.

On the database of this run: a fresh SQLite file, or with SHOP_TEST_DATABASE a database of
its own on that PostgreSQL server (dropped afterwards). See reliability/crash.py.
"""

import pytest

from reliability.crash import run_crash


@pytest.mark.slow
def test_a_killed_server_loses_no_acknowledged_sale(tmp_path, server_under_test):
    server = server_under_test
    kind = "postgresql" if server else "sqlite"
    figures = run_crash(kind, tmp_path, server_url=server, rounds=2)
    print(figures)
    assert figures.rounds == 2 and figures.acknowledged > 0
    assert figures.problems == []
    assert figures.server_errors == 0
    assert figures.lost == 0 and figures.half_written == 0
    assert figures.double_sales == 0 and figures.stock_mismatches == 0
    answered_again = figures.retry_new + figures.retry_same + figures.retry_refused
    assert figures.retried == figures.no_answer == answered_again
    acknowledged = figures.acknowledged + figures.retry_new + figures.retry_same
    assert figures.found == acknowledged == figures.sales_in_db
