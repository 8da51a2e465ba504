"""The receipt printer's pages: its settings, a test print, the print log and reprints."""

from flask import Blueprint

bp = Blueprint("printer", __name__, url_prefix="/printer")

from shop.printer import views  # noqa: E402,F401  (registers the routes)
