"""Settings from the environment. A wrong setting stops the start with a clear message."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class SettingsError(RuntimeError):
    """A setting in the environment that the shop cannot run with."""


def database_url(instance_path: str) -> str:
    """``DATABASE_URL`` with the psycopg 3 driver, or the SQLite file in the instance folder."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "shop.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise SettingsError(
            "DATABASE_URL must be a postgresql:// or sqlite:/// URL, got " + url.split(":")[0]
        )
    return url


def secret_key(instance_path: str) -> str:
    """``SECRET_KEY`` from the environment, else one kept in ``instance/secret_key`` (mode 0600).

    The file is created on first start with a random key, so that sessions survive restarts
    without anybody having to invent a secret.
    """
    given = os.environ.get("SECRET_KEY", "").strip()
    if given:
        if len(given) < 16:
            raise SettingsError("SECRET_KEY must be at least 16 characters long")
        return given
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SettingsError(f"SHOP_TIMEZONE {name!r} is not a known time zone") from error


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def _seconds(name: str, default: int, low: int, high: int) -> int:
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
        raise SettingsError(f"{name} must be a whole number of seconds from {low} to {high}")
    return int(value)


def pdf_processes() -> int | None:
    """``SHOP_PDF_PROCESSES``: how many processes share out a month's statements (1: made
    one after another in the web process); ``None`` (unset or ``auto``): one a core, up to 2."""
    value = (os.environ.get("SHOP_PDF_PROCESSES") or "").strip().lower()
    if value in ("", "auto"):
        return None
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= 16):
        raise SettingsError("SHOP_PDF_PROCESSES must be auto or a number of processes, 1 to 16")
    return int(value)


def from_environment(instance_path: str) -> dict:
    """The app's settings, read from environment variables with the shop's defaults."""
    tz_name = os.environ.get("SHOP_TIMEZONE", "Asia/Ho_Chi_Minh")
    time_zone(tz_name)
    locale = os.environ.get("SHOP_LOCALE", "vi")
    if locale not in LANGUAGES:
        raise SettingsError(f"SHOP_LOCALE must be one of {', '.join(LANGUAGES)}")
    proxies = os.environ.get("SHOP_PROXIES", "0").strip() or "0"
    if not (proxies.isascii() and proxies.isdigit() and int(proxies) <= 5):
        raise SettingsError("SHOP_PROXIES must be the number of proxies in front, 0 to 5")
    poller = (os.environ.get("SHOP_BANK_POLLER") or "thread").strip().lower()
    if poller not in ("thread", "off"):
        raise SettingsError("SHOP_BANK_POLLER must be thread or off")
    country_code = os.environ.get("SHOP_COUNTRY_CODE", "84")
    if not (country_code.isascii() and country_code.isdigit() and 1 <= len(country_code) <= 3):
        raise SettingsError("SHOP_COUNTRY_CODE must be 1 to 3 digits, like 84")
    return {
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SHOP_TIMEZONE": tz_name,
        "SHOP_COUNTRY_CODE": country_code,
        "BABEL_DEFAULT_LOCALE": locale,
        "BABEL_DEFAULT_TIMEZONE": tz_name,
        "MIGRATE_ON_START": _flag("SHOP_MIGRATE_ON_START", True),
        "SESSION_COOKIE_SECURE": _flag("SHOP_SECURE_COOKIES", False),
        "REMEMBER_COOKIE_SECURE": _flag("SHOP_SECURE_COOKIES", False),
        "SHOP_PROXIES": int(proxies),
        "BANK_POLLER": poller,
        "BANK_POLL_WAITING_SECONDS": _seconds("SHOP_BANK_POLL_WAITING_SECONDS", 15, 5, 600),
        "BANK_POLL_IDLE_SECONDS": _seconds("SHOP_BANK_POLL_IDLE_SECONDS", 300, 30, 3600),
        "PDF_PROCESSES": pdf_processes(),
    }


#: Languages the pages are written in; the first is the default.
LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}

#: Settings that hold whatever the environment says.
DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Flask-Compress: gzip or brotli for text of 1 KB and more (answers smaller than that
    # gain nothing); zstd is left out for the browsers of old phones.
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
    ],
    "COMPRESS_MIN_SIZE": 1024,
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 4,
    # Files sent as streams (the static files) stay as they are: Flask-Compress leaves their
    # file open when it compresses a stream, and a front server can compress them instead.
    "COMPRESS_STREAMS": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    # Wrong PINs in a row that lock a phone, and from one address (whichever phones) that
    # lock the address: fewer, so a stranger's address is locked before the phone she
    # guesses. The first lock lasts PIN_LOCK_MINUTES, each further one twice as long, up to
    # PIN_LOCK_MAX_MINUTES (shop.domain.pin.LockPolicy).
    "PIN_MAX_FAILURES": 5,
    "PIN_ADDRESS_MAX_FAILURES": 3,
    "PIN_LOCK_MINUTES": 15,
    "PIN_LOCK_MAX_MINUTES": 24 * 60,
    # Reverse proxies in front whose X-Forwarded-For (and -Proto) is trusted: 0 when
    # gunicorn faces the devices itself.
    "SHOP_PROXIES": 0,
    # "thread": a background thread per web process sends print jobs; "off": nothing sends
    # them (tests send them by hand with shop.printing.queue.run_due).
    "PRINT_WORKER": "thread",
}
