"""The counter sells through sign-in floods and big photo uploads, over HTTP to gunicorn:
no 500 anywhere, every flooding address locked after its few wrong PINs, the member whose
PIN is guessed still signs in from her own phone, and oversized pictures refused. The
sales' times are printed as figures (reliability/floods.py), not held to a threshold.

On the database of this run: a fresh SQLite file, or with SHOP_TEST_DATABASE a database of
its own on that PostgreSQL server (dropped afterwards).
"""

import pytest

from reliability.floods import FLOOD_ADDRESSES, run_floods
from shop.config import DEFAULTS


@pytest.mark.slow
def test_the_counter_sells_through_sign_in_floods_and_big_photos(tmp_path, server_under_test):
    server = server_under_test
    kind = "postgresql" if server else "sqlite"
    figures = run_floods(
        kind,
        tmp_path,
        server_url=server,
        quiet_sales=10,
        flood_seconds=8,
        sign_in_threads=len(FLOOD_ADDRESSES),
        upload_threads=2,
    )
    print(
        f"sales quiet {figures.ms(figures.sales_quiet, 0.5)} / "
        f"{figures.ms(figures.sales_quiet, 0.95)} ms, flooded "
        f"{figures.ms(figures.sales_flooded, 0.5)} / {figures.ms(figures.sales_flooded, 0.95)}"
        f" ms; sign-ins {figures.sign_in_summary()}; uploads {figures.upload_summary()}"
    )
    assert figures.server_errors == 0, figures.problems
    assert len(figures.sales_quiet) == 10 and figures.sales_flooded
    assert set(figures.sale_statuses) == {201}
    # Each address: its wrong PINs answered 401 until the one that locks it, then 429.
    wrong_before_the_lock = DEFAULTS["PIN_ADDRESS_MAX_FAILURES"] - 1
    assert figures.sign_ins[401] == wrong_before_the_lock * len(FLOOD_ADDRESSES)
    assert set(figures.sign_ins) == {401, 429} and figures.sign_ins[429] > 0
    assert figures.her_sign_in == 303  # her own phone, her right PIN, mid-flood
    bomb = {status for (kind_, status) in figures.uploads if kind_.startswith("39.9 MP")}
    assert bomb <= {422, 503} and 422 in bomb  # refused unread (or told to try again)
    assert any(status == 200 for (_kind, status) in figures.uploads)
