"""The expenses pages: the month's expenses, recording one, correcting or removing it."""

from flask import Blueprint

bp = Blueprint("expenses", __name__, url_prefix="/expenses")

from shop.expenses import views  # noqa: E402,F401  (registers the routes)
