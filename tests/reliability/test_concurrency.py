"""Six counters selling the same dress, the same small lot and the same sale (one client
id) at the same instant, over HTTP to two gunicorn workers. See reliability/concurrency.py.
"""

import pytest

from reliability.concurrency import run_concurrency


@pytest.fixture(scope="module")
def raced(tmp_path_factory, server_under_test):
    server = server_under_test
    kind = "postgresql" if server else "sqlite"
    return run_concurrency(
        kind, tmp_path_factory.mktemp("concurrency"), server_url=server, rounds=3
    )


@pytest.mark.slow
def test_nothing_is_sold_twice_when_counters_race(raced):
    assert raced.no_answer == 0
    assert raced.double_sales == 0 and raced.books_wrong == 0
    rounds = 3
    assert raced.requests == rounds * 3 * 6
    # Each round: the dress sold once (5 "already sold"); the lot of 3 sold once, 2 pieces
    # (5 "only 1 left"); the sale sent six times recorded once (5 times the same sale).
    assert raced.sold == rounds * 3
    assert raced.refused == rounds * 10
    assert raced.same_sale == rounds * 5


@pytest.mark.slow
def test_the_same_sale_sent_at_once_answers_without_a_500(raced):
    assert raced.server_errors == 0, raced.problems
