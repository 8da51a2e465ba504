"""Fixtures for the reliability tests: a prepared shop in the test's own database."""

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: starts gunicorn and kills it (tens of seconds; deselect with -m 'not slow')",
    )


@pytest.fixture
def shop(app):
    """A small shop: coordinators 1-3 (token for 1 and counter tokens for 2, 3), plain members
    4 and 5 with PINs, 12 items and 2 lots received an hour ago."""
    from reliability.live import fill_shop

    return fill_shop(app, cashiers=2, plain_members=2, items=12, lots=2, lot_quantity=20)
