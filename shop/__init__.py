"""The shop's web application: ``create_app()`` builds it; ``wsgi.py`` serves it."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from shop import config, files


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. ``test_config`` overrides settings from the environment (for tests)."""
    instance = (
        (test_config or {}).get("INSTANCE_PATH")
        or os.environ.get("SHOP_INSTANCE_PATH")
        or files.DEFAULT_INSTANCE
    )
    app = Flask(
        __name__,
        instance_path=str(instance) if instance else None,
        template_folder=str(files.TEMPLATES),
        static_folder=str(files.STATIC),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config.DEFAULTS)
    app.json.sort_keys = False  # fields in the order the API document gives them
    if test_config is None:
        app.config.update(config.from_environment(app.instance_path))
    else:
        app.config.update(test_config)
    app.config["SHOP_TZ"] = config.time_zone(app.config.get("SHOP_TIMEZONE", "Asia/Ho_Chi_Minh"))

    if app.config.get("SHOP_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The address of the device, not the proxy's: wrong PINs are counted per address.
        proxies = app.config["SHOP_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    register_extensions(app)
    from shop.views import BoundedInt

    app.url_map.converters["int"] = BoundedInt
    register_blueprints(app)
    register_template_helpers(app)
    register_errorhandlers(app)
    register_commands(app)
    if app.config.get("MIGRATE_ON_START"):
        from shop.cli import upgrade_database

        upgrade_database(app)
    return app


def register_extensions(app: Flask) -> None:
    from shop import models  # noqa: F401  (registers the tables)
    from shop.auth.access import init_access
    from shop.database import configure_engine, init_request_transactions
    from shop.extensions import babel, compress, csrf, db, migrate
    from shop.i18n import select_locale, select_timezone

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(files.MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    compress.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(files.TRANSLATIONS),
    )
    init_request_transactions(app)
    init_access(app)
    from shop.printing.queue import init_print_queue

    init_print_queue(app)
    from shop.bank.poller import init_bank_poller

    init_bank_poller(app)


def register_blueprints(app: Flask) -> None:
    from shop.api import bp as api_bp
    from shop.auth import bp as auth_bp
    from shop.counter import bp as counter_bp
    from shop.expenses import bp as expenses_bp
    from shop.main import bp as main_bp
    from shop.members import bp as members_bp
    from shop.month import bp as month_bp
    from shop.printing.views import bp as printing_bp
    from shop.stock import bp as stock_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(stock_bp)
    app.register_blueprint(counter_bp)
    app.register_blueprint(printing_bp)
    app.register_blueprint(month_bp)
    app.register_blueprint(expenses_bp)
    app.register_blueprint(api_bp)


def register_template_helpers(app: Flask) -> None:
    from shop.i18n import template_helpers

    template_helpers(app)


def register_errorhandlers(app: Flask) -> None:
    from shop.errors import init_errors
    from shop.security import init_security_headers

    init_errors(app)
    init_security_headers(app)


def register_commands(app: Flask) -> None:
    from shop.cli import init_commands

    init_commands(app)
