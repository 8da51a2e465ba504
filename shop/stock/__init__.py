"""Intake and stock pages: drop-offs, tags, search, one item, clearance, my items, prices."""

from flask import Blueprint

bp = Blueprint("stock", __name__)

from shop.stock import counts, views  # noqa: E402,F401
