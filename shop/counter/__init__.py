"""The counter pages: shifts, the cart, payment by cash or VietQR, sales, refunds and voids."""

from flask import Blueprint

bp = Blueprint("counter", __name__, url_prefix="/counter")

from shop.counter import app, bank_reviews, reports, views  # noqa: E402,F401
