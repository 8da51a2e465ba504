"""Money rules raced over HTTP with one token per device, and (on PostgreSQL) database
backends killed mid-request: see reliability/money.py."""

import pytest

from reliability.money import run_money


@pytest.fixture(scope="module")
def raced(tmp_path_factory, server_under_test):
    server = server_under_test
    kind = "postgresql" if server else "sqlite"
    return run_money(
        kind, tmp_path_factory.mktemp("money"), server_url=server, rounds=2, kill_seconds=5
    )


@pytest.mark.slow
def test_no_money_comes_out_wrong_when_counters_race(raced):
    # Each round: 7 refunds, a void and a refund, 3 voids, 2 sales, a refund and a close;
    # then a payout race per month: 2 payouts and the next month's close.
    assert raced.rounds == 2 and raced.requests == 2 * (7 + 2 + 3 + 4) + 2 * 3
    assert raced.money_wrong == 0, raced.problems
    assert raced.server_errors == 0 and raced.no_answer == 0, raced.problems


@pytest.mark.slow
def test_no_answer_lies_when_database_backends_are_killed(raced):
    if raced.database != "postgresql":
        pytest.skip("backends are killed on PostgreSQL only")
    assert raced.backends_killed > 0 and raced.kill_requests > 0
    assert raced.kill_retried > 0  # some answers were "not known" and sent again
    assert raced.lies == 0, raced.problems
