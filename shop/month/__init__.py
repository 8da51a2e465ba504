"""The month and its money: expenses, closing a month, payouts (docs/sharing.md).

The services are :mod:`shop.services.month` and :mod:`shop.services.expenses`; the forms
here check what the API (and, later, the pages) receive.
"""

from flask import Blueprint
from flask_babel import gettext

bp = Blueprint("month", __name__)


@bp.app_template_filter("minutes")
def format_minutes(minutes: int | None) -> str:
    """Work time as "3 h 20 min" in her language ("3 giờ 20 phút")."""
    hours, rest = divmod(int(minutes or 0), 60)
    if hours and rest:
        return gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=rest)
    if hours:
        return gettext("%(hours)s h", hours=hours)
    return gettext("%(minutes)s min", minutes=rest)


from shop.month import views  # noqa: E402,F401  (registers the routes)
