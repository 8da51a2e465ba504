"""No two elements of a page share an id: a label would name the wrong box, and a refused
form's message would be read out for the wrong field."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.conftest import TRIAL_PINS, sign_in

PAGES = [
    "/",
    "/counter/",
    "/counter/basic",
    "/counter/shift/close",
    "/counter/sales/",
    "/counter/sales/2",
    "/counter/notebook",
    "/counter/find?q=áo",
    "/stock/",
    "/stock/A",
    "/stock/prices",
    "/intake/",
    "/intake/new",
    "/intake/i1",
    "/stock/clearance",
    "/members/",
    "/members/new",
    "/months/",
    "/months/2027-01",
    "/months/2027-01/payouts",
    "/months/2027-02/close",
    "/months/2027-01/statements/1",
    "/expenses/",
    "/settings/shop",
    "/settings/sharing",
    "/printer/",
    "/audit",
]


@pytest.fixture
def hong(app, trial):
    client = app.test_client()
    assert sign_in(client, "0912000001", TRIAL_PINS[1]).status_code == 303
    client.post("/counter/shift/open", data={"opening_float_dong": "0"})
    for code in "ABCDEFGH":  # a cart with lines and their forms
        client.post("/counter/add", data={"code": code})
    assert 'class="cart-line"' in client.get("/counter/basic").text
    return client


@pytest.mark.parametrize("path", PAGES)
def test_no_two_elements_share_an_id(hong, path):
    page = hong.get(path)
    assert page.status_code == 200, (path, page.status_code)
    ids = Counter(re.findall(r'\sid="([^"]+)"', page.text))
    assert [name for name, count in ids.items() if count > 1] == []
