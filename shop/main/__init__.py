from flask import Blueprint

bp = Blueprint("main", __name__)

from shop.main import bank, views  # noqa: E402,F401


@bp.app_context_processor
def _shop_name():
    from flask_babel import gettext

    from shop.extensions import db
    from shop.services.members import shop_profile

    profile = shop_profile(db.session)
    return {"shop_name": profile.name if profile else gettext("Shop")}
