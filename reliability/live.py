"""A real shop to hammer: a fresh database, a prepared shop in it, gunicorn serving it.

Everything here has a bound: every wait has a timeout, every server is killed by its
process group, and :class:`Server` is a context manager so a failing check never leaves
one running.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgresql://localhost/test"
CATEGORIES = ("Áo", "Quần", "Váy", "Giày", "Túi")
#: The key that signs sessions, for this run only.
SECRET = secrets.token_hex(32)


# ---------------------------------------------------------------- databases


def pg_reachable(server: str, timeout: int = 3) -> bool:
    try:
        import psycopg

        psycopg.connect(server, connect_timeout=timeout).close()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def fresh_database(kind: str, workdir: Path, server: str | None = None) -> Iterator[str]:
    """The SQLAlchemy URL of an empty database of ``kind`` for one scenario.

    SQLite: a new file in ``workdir``. PostgreSQL: a database with a name of its own,
    created on ``server`` (``postgresql://host/any``) and dropped afterwards, whatever
    happened (``WITH (FORCE)`` ends connections a killed server may have left).
    """
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'shop.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url((server or PG_DEFAULT).replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"shop_reliability_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def app_config(url: str, instance: Path, **extra) -> dict:
    """Settings for an app made in this process (to prepare a shop or to fuzz it)."""
    return {
        "SECRET_KEY": SECRET,
        "SQLALCHEMY_DATABASE_URI": url,
        "SHOP_TIMEZONE": "Asia/Ho_Chi_Minh",
        "SHOP_COUNTRY_CODE": "84",
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "MIGRATE_ON_START": False,
        "PRINT_WORKER": "off",
        # Only the servers under test poll the bank: an app made here to prepare or read a
        # shop would go on polling its database after the scenario dropped it.
        "BANK_POLLER": "off",
        "INSTANCE_PATH": str(instance),
        **extra,
    }


# ---------------------------------------------------------------- the prepared shop


@dataclass
class Shop:
    """What a scenario knows about the shop it prepared."""

    url: str
    coordinator_token: str
    #: (member number, bearer token) of each cashier; each will open her own shift.
    cashiers: list[tuple[int, str]]
    prices: dict[str, int]  # every code → its price (no markdown: everything came in today)
    unique_codes: list[str]
    lot_codes: list[str]
    lot_quantity: int
    pins: dict[int, str] = field(default_factory=dict)
    phones: dict[int, str] = field(default_factory=dict)


def phone_of(number: int) -> str:
    return f"09120{number:05d}"


def pin_of(number: int) -> str:
    return f"{(1357 + 1111 * number) % 10000:04d}"


def prepare_shop(url: str, instance: Path, **options) -> Shop:
    """Migrate the empty database at ``url`` and fill it (see :func:`fill_shop`)."""
    from shop import create_app
    from shop.cli import upgrade_database
    from shop.extensions import db

    app = create_app(app_config(url, instance))
    upgrade_database(app)
    try:
        return fill_shop(app, **options)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def fill_shop(
    app,
    *,
    cashiers: int = 6,
    plain_members: int = 2,
    items: int = 400,
    lots: int = 12,
    lot_quantity: int = 40,
    seed: int = 7,
) -> Shop:
    """Fill the migrated, empty shop of ``app``: members, tokens, items and lots.

    Member 1 is the coordinator who made the tokens; members 2 … ``cashiers`` + 1 are
    coordinators too, each with a counter token of the member role (a token acts as the
    coordinator who owns it, with at most the role given to it). Then ``plain_members``
    members with no token, for the access checks. Everything came in an hour ago (so no
    markdown applies); a quarter of the items are consigned by member 2.
    """
    from shop.extensions import db
    from shop.models import IntakeKind, Role
    from shop.services import members as member_service
    from shop.services import stock

    rng = random.Random(seed)
    tz = app.config["SHOP_TZ"]
    received = datetime.now(UTC) - timedelta(hours=1)
    joined = received.astimezone(tz).date() - timedelta(days=40)
    result = Shop(app.config["SQLALCHEMY_DATABASE_URI"], "", [], {}, [], [], lot_quantity)
    with app.app_context(), app.test_request_context():
        session = db.session
        for number in range(1, cashiers + plain_members + 2):
            role = Role.COORDINATOR if number <= cashiers + 1 else Role.MEMBER
            details = member_service.MemberDetails(
                name=f"Thành viên {number}", phone=phone_of(number), role=role, joined_on=joined
            )
            # Hashing a PIN takes a while: only those who sign in on a page get one.
            pin = pin_of(number) if number == 1 or role == Role.MEMBER else None
            member_service.create_member(session, details, pin, country_code="84")
            result.phones[number] = phone_of(number)
            if pin is not None:
                result.pins[number] = pin
        boss = member_service.get_member(session, 1)
        _row, result.coordinator_token = member_service.create_token(
            session, boss, "reliability", Role.COORDINATOR
        )
        for number in range(2, cashiers + 2):
            owner = member_service.get_member(session, number)
            _row, secret = member_service.create_token(
                session, owner, f"quầy {number}", Role.MEMBER
            )
            result.cashiers.append((number, secret))
        donation = stock.receive_intake(
            session, stock.IntakeDetails(IntakeKind.DONATION, received), by=boss, tz=tz
        )
        consigned = stock.receive_intake(
            session,
            stock.IntakeDetails(IntakeKind.CONSIGNMENT, received, owner_number=2),
            by=boss,
            tz=tz,
        )
        for index in range(items):
            price = rng.randrange(4, 60) * 5_000
            intake = consigned if index % 4 == 0 else donation
            item = stock.add_item(
                session,
                intake,
                stock.ItemDetails(
                    rng.choice(CATEGORIES), price, f"Món {index}", size=rng.choice("SML")
                ),
            )
            result.prices[item.code] = price
            result.unique_codes.append(item.code)
        for index in range(lots):
            price = rng.randrange(2, 7) * 5_000
            lot = stock.add_lot(
                session,
                donation,
                stock.LotDetails("Phụ kiện", price, lot_quantity, f"Lô {index}"),
            )
            result.prices[lot.code] = price
            result.lot_codes.append(lot.code)
        member_service.save_shop_settings(
            session,
            name="NEW ME – Đồ cũ",
            address="",
            bank_bin="970415",
            bank_account="113366668888",
            bank_account_name="NHOM NEW ME",
            receipt_footer="",
        )
        session.commit()
    return result


def today_local() -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


# ---------------------------------------------------------------- talking to it


class NoAnswer(Exception):
    """The server did not answer (refused, reset, timed out): the outcome is unknown."""


def call(
    port: int,
    method: str,
    path: str,
    body=None,
    *,
    token: str | None = None,
    headers: dict | None = None,
    timeout: float = 10,
    raw: bytes | None = None,
    source: str | None = None,
) -> tuple[int, object]:
    """One HTTP request to 127.0.0.1:``port``; (status, JSON or bytes). Raises NoAnswer.

    ``source`` is the loopback address to send from (``127.0.0.2`` …), so the shop sees
    requests from several addresses.
    """
    sent = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    if token:
        sent["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        payload = response.read()
    except (OSError, http.client.HTTPException) as error:
        raise NoAnswer(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()
    if response.getheader("Content-Type", "").startswith("application/json"):
        with contextlib.suppress(ValueError):
            return response.status, json.loads(payload)
    return response.status, payload


# ---------------------------------------------------------------- gunicorn


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _group_alive(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that are not yet dead (zombies count as dead)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp …; comm may hold spaces and parentheses
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            alive.append(int(entry.name))
    return alive


def _has_control_socket() -> bool:
    try:
        from gunicorn.config import KNOWN_SETTINGS
    except ImportError:  # pragma: no cover
        return False
    return any(setting.name == "control_socket" for setting in KNOWN_SETTINGS)


class Server:
    """``gunicorn wsgi:app`` as production runs it (gunicorn.conf.py, which preloads the app
    in the master), on 127.0.0.1, in a process group of its own so it can be SIGKILLed
    whole: master and workers at the same instant, as a power cut or the OOM killer would.
    """

    def __init__(self, url: str, instance: Path, log: Path, *, workers: int = 2):
        self.url, self.instance, self.log, self.workers = url, instance, log, workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def environment(self) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SHOP_", "DATABASE_URL", "SECRET_KEY", "FLASK_"))
        }
        env.update(
            DATABASE_URL=self.url,
            SECRET_KEY=SECRET,
            SHOP_INSTANCE_PATH=str(self.instance),
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self, timeout: float = 40) -> None:
        """Start (or restart, on the same port and database) and wait until /healthz answers."""
        assert self.process is None, "already running"
        self.starts += 1
        command = [
            sys.executable, "-m", "gunicorn",
            "--config", str(ROOT / "gunicorn.conf.py"),
            "--preload",  # as gunicorn.conf.py says (preload_app = True)
            "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}",
            "wsgi:app",
        ]  # fmt: skip
        if _has_control_socket():  # gunicorn ≥ 24: not the shared one in ~/.gunicorn
            command[-1:-1] = ["--no-control-socket"]
        with self.log.open("ab") as log:
            log.write(f"\n==== start {self.starts} ====\n".encode())
            log.flush()
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                command,
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._reap()
                raise RuntimeError(f"gunicorn exited at start:\n{self.tail()}")
            try:
                status, _ = call(self.port, "GET", "/healthz", timeout=2)
                if status == 200:
                    return
            except NoAnswer:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"gunicorn did not answer /healthz in {timeout} s:\n{self.tail()}")

    def kill(self, timeout: float = 15) -> None:
        """SIGKILL the master and every worker at once, and wait until none is left."""
        if self.process is None:
            return
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        self._reap()
        deadline = time.monotonic() + timeout
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _group_alive(pgid):
            raise RuntimeError(f"processes of group {pgid} survived SIGKILL")

    def _reap(self) -> None:
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            self.process = None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc) -> None:
        self.kill()
