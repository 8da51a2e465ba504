"""Commands under ``flask --app wsgi``: members, tokens, the demo shop, the database."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import date

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from shop import clock
from shop.database import known_migrations
from shop.extensions import db
from shop.models import Role
from shop.services import members as member_service
from shop.services.errors import ShopError

members_cli = AppGroup("members", help="Add, list and change members.")
tokens_cli = AppGroup("tokens", help="Create, list and revoke API tokens.")
month_cli = AppGroup("month", help="A month's figures (docs/sharing.md), and closing it.")
bank_cli = AppGroup("bank", help="The bank feed (SePay or Casso): ask for transactions now.")


def upgrade_database(app: Flask) -> None:
    """Bring the database schema to the newest migration (nothing to do if it is there)."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        # No connection opened here may cross into a forked gunicorn worker.
        db.engine.dispose()


def _fail(error: ShopError):
    raise click.ClickException(f"{error.field or 'error'}: {error.message}")


@contextmanager
def _committed():
    """One commit for what a command changes; a refusal rolls it back and ends the command
    with the refusal's field and words."""
    try:
        yield
    except ShopError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()


def _write_out(data: bytes, target: str, what: str) -> None:
    """``data`` to standard output (``-``), a device (appended) or a file, then how many
    bytes of ``what`` went there."""
    if target == "-":
        sys.stdout.buffer.write(data)
        return
    with open(target, "ab" if target.startswith("/dev/") else "wb") as handle:
        handle.write(data)
    click.echo(f"{len(data)} bytes for {what} written to {target}", err=True)


def _parse_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date like 2026-10-01") from None


@members_cli.command("create")
@click.option("--name", required=True)
@click.option("--phone", required=True)
@click.option("--pin", required=True, help="4 to 8 digits")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.MEMBER.value)
@click.option("--joined-on", help="YYYY-MM-DD; today if left out")
def create_member(name, phone, pin, role, joined_on):
    """Add a member (the first coordinator, for instance)."""
    details = member_service.MemberDetails(
        name=name, phone=phone, role=Role(role), joined_on=_parse_day(joined_on) or clock.today()
    )
    with _committed():
        member = member_service.create_member(
            db.session,
            details,
            pin,
            country_code=current_app.config["SHOP_COUNTRY_CODE"],
            today=clock.today(),
        )
    click.echo(f"member {member.number}: {member.name} ({member.role.value}), phone {member.phone}")


@members_cli.command("list")
def list_members():
    """Every member, those who left included."""
    for m in member_service.list_members(db.session):
        left = f"  left {m.left_on.isoformat()}" if m.left_on else ""
        click.echo(
            f"{m.number:>4}  {m.name}  {m.phone or '-'}  {m.role.value}"
            f"  joined {m.joined_on.isoformat()}{left}"
        )


@members_cli.command("set-pin")
@click.argument("number", type=int)
@click.option("--pin", required=True, prompt=True, hide_input=True, confirmation_prompt=True)
def set_pin(number, pin):
    """Give member NUMBER a new PIN."""
    with _committed():
        member = member_service.get_member(db.session, number)
        member_service.set_pin(db.session, member, pin)
    click.echo(f"new PIN set for member {number}")


@tokens_cli.command("create")
@click.option("--member", "number", type=int, required=True, help="the coordinator it acts as")
@click.option("--name", required=True, help="what the token is for")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.MEMBER.value)
def create_token(number, name, role):
    """Create a bearer token; its secret is printed once and never stored."""
    with _committed():
        owner = member_service.get_member(db.session, number)
        token, secret = member_service.create_token(db.session, owner, name, Role(role))
    click.echo(f"token {token.id} ({token.role.value}) for member {owner.number}: {secret}")


@tokens_cli.command("list")
def list_tokens():
    for t in member_service.list_tokens(db.session):
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        click.echo(
            f"{t.id:>4}  {t.prefix}…  {t.role.value}  member {t.member.number}  {t.name}  {state}"
        )


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id):
    with _committed():
        member_service.revoke_token(db.session, token_id, now=clock.now())
    click.echo(f"token {token_id} revoked")


@click.command("demo")
@with_appcontext
def demo():
    """Fill an empty database with the demo shop (docs/sharing.md's example, moved to the last
    three months, and stock on the rail today); leave a used one untouched."""
    from shop.demo import DEMO_PINS, load_demo
    from shop.domain.calendar import local_date

    if member_service.has_members(db.session):
        click.echo("The database already has members; the demo shop was not loaded.")
        click.echo(f"If it is the demo shop: sign in with phone 0912000001 and PIN {DEMO_PINS[1]}.")
        return
    now = clock.now()
    load_demo(
        db.session,
        current_app.config,
        today=local_date(now, clock.shop_tz()),
        now=now,
    )
    db.session.commit()
    click.echo(
        f"Demo shop loaded. Sign in as the coordinator: phone 0912000001, PIN {DEMO_PINS[1]}."
    )
    for member in member_service.list_members(db.session)[1:]:
        pin = DEMO_PINS[member.number]
        click.echo(f"  member {member.number} {member.name}: phone {member.phone}, PIN {pin}")


@click.command("receipt")
@click.argument("number", type=int)
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="a file, or a printer device such as /dev/usb/lp0; - for standard output",
)
@click.option("--paper", type=click.Choice(["58", "80"]), default=None)
@click.option("--profile", default=None, help="python-escpos printer profile")
@click.option("--mode", type=click.Choice(["raster", "text"]), default=None)
@click.option("--drawer/--no-drawer", default=False, help="open the cash drawer")
@with_appcontext
def receipt(number, target, paper, profile, mode, drawer):
    """Write the exact bytes the receipt printer gets for sale NUMBER."""

    from shop.printing.escpos_out import receipt_bytes
    from shop.printing.slips import receipt_for_sale
    from shop.services import counter as counter_service
    from shop.services.printing import printer_settings

    try:
        sale = counter_service.get_sale(db.session, number)
    except ShopError as error:
        _fail(error)
    settings = printer_settings(db.session)  # the same as the counter's
    data = receipt_bytes(
        receipt_for_sale(db.session, sale),
        paper_mm=int(paper or settings.paper_mm),
        profile=profile or settings.profile,
        mode=mode or settings.mode.value,
        open_drawer=drawer,
        drawer_pin=settings.drawer_pin or 2,
    )
    db.session.rollback()
    _write_out(data, target, f"sale {number}")


@click.command("labels")
@click.argument("codes", nargs=-1, required=True)
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="a file, or a label printer's device such as /dev/usb/lp1; - for standard output",
)
@click.option(
    "--language",
    type=click.Choice(["tspl", "escpos"]),
    default=None,
    help="TSPL for a roll label printer, ESC/POS for a receipt printer's roll",
)
@click.option("--size", default=None, help="the label roll for TSPL: 40x30, 50x30, 35x22x2")
@with_appcontext
def labels(codes, target, language, size):
    """Write the exact bytes the label printer gets for the items' CODES (a code given
    twice prints twice); the shop's label printer settings unless told otherwise."""

    from shop.models import LabelLanguage
    from shop.printing.labels import labels_bytes
    from shop.printing.slips import _job_tags
    from shop.printing.tspl import parse_size, tspl_bytes
    from shop.printing.web import tag_labels
    from shop.services import stock as stock_service
    from shop.services.printing import label_printer_settings, label_roll, printer_settings

    try:
        for code in codes:
            stock_service.get_item(db.session, code)
    except ShopError as error:
        _fail(error)
    label = label_printer_settings(db.session)
    receipt = printer_settings(db.session)
    if language is None:
        language = "escpos" if label.language == LabelLanguage.ESCPOS else "tspl"
    tags = _job_tags(db.session, list(codes))
    if language == "tspl":
        try:
            roll = parse_size(size) if size else label_roll(label)
        except (TypeError, ValueError) as error:
            raise click.BadParameter(str(error), param_hint="--size") from None
        data = tspl_bytes(tags, roll, labels=tag_labels())
    else:
        data = labels_bytes(
            tags, paper_mm=receipt.paper_mm, profile=receipt.profile, labels=tag_labels()
        )
    db.session.rollback()
    _write_out(data, target, f"{len(tags)} label(s)")


@month_cli.command("show")
@click.argument("month")
@click.option(
    "--json", "as_json", is_flag=True, help="the figures as JSON (named as in docs/sharing.md)"
)
def show_month(month, as_json):
    """The figures of MONTH (YYYY-MM): frozen if it is closed, as of now if it is open."""
    import json

    from shop.domain.sharing import MEMBER_AMOUNTS, MONTH_AMOUNTS
    from shop.services import month as month_service

    try:
        data = month_service.month_data(db.session, month, clock.shop_tz())
    except ShopError as error:
        _fail(error)
    finally:
        db.session.rollback()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{data['month']} ({'closed' if data['closed'] else 'open'}), in đồng")
    for name in MONTH_AMOUNTS:
        click.echo(f"  {name.removesuffix('_dong'):<14}{data[name]:>14,}")
    columns = ("work_minutes", *MEMBER_AMOUNTS)
    click.echo("  member" + "".join(f"{n.removesuffix('_dong'):>16}" for n in columns))
    for row in data["members"]:
        click.echo(f"  {row['member']:>6}" + "".join(f"{row[n]:>16,}" for n in columns))


@month_cli.command("close")
@click.argument("month")
@click.option(
    "--by",
    "number",
    type=int,
    default=None,
    help="the coordinator who closes it (the lowest-numbered coordinator if left out)",
)
def close_month(month, number):
    """Close MONTH (YYYY-MM): freeze its figures and the settings it used."""
    from shop.services import month as month_service

    tz = clock.shop_tz()
    try:
        if number is None:
            coordinators = [
                m
                for m in member_service.list_members(db.session)
                if m.role == Role.COORDINATOR and not m.has_left_by(clock.today())
            ]
            if not coordinators:
                raise click.ClickException("the shop has no coordinator: give --by NUMBER")
            by = min(coordinators, key=lambda m: m.number)
        else:
            by = member_service.get_member(db.session, number)
            if by.role != Role.COORDINATOR:
                raise click.ClickException(f"member {number} is not a coordinator")
        closed = month_service.close_month(db.session, month, by=by, at=clock.now(), tz=tz)
    except ShopError as error:
        db.session.rollback()
        _fail(error)
    except click.ClickException:
        db.session.rollback()
        raise
    db.session.commit()
    click.echo(
        f"{closed.month} closed by member {by.number}: result {closed.result_dong:,} đồng, "
        f"reserve {closed.reserve_dong:,}, distributable {closed.distributable_dong:,}, "
        f"carried loss {closed.carried_loss_dong:,}"
    )


@month_cli.command("statements")
@click.argument("month")
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="the PDF file to write",
)
def statements_pdf(month, target):
    """Every member's statement of MONTH (YYYY-MM) in one PDF, each starting a new page."""
    from shop.month.batch import statements_html
    from shop.printing.pdf import PAPER, htmls_to_pdf
    from shop.services import month as month_service
    from shop.services import statements as statement_service

    app = current_app._get_current_object()
    with app.test_request_context():
        try:
            month = month_service.parse_month(month)
        except ShopError as error:
            _fail(error)
        statements = statement_service.statements(db.session, month, app.config["SHOP_TZ"])
        if not statements:
            _fail(ShopError("statements.nobody", month=month))
        pages = statements_html(statements, month=month)
        db.session.rollback()
        with click.progressbar(length=len(pages), label="statements", file=sys.stderr) as bar:
            pdf = htmls_to_pdf(
                pages,
                stylesheets=(PAPER,),
                progress=lambda done: bar.update(done - bar.pos),
                processes=app.config.get("PDF_PROCESSES"),
            )
    with open(target, "wb") as handle:
        handle.write(pdf)
    click.echo(f"{len(pages)} statements of {month} written to {target}", err=True)


@click.command("backup")
@click.option(
    "--to",
    "directory",
    type=click.Path(file_okay=False, writable=True),
    default=None,
    help="the folder for backups (instance/backups if left out; made mode 0700)",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=14,
    show_default=True,
    help="how many backups to keep in the folder (or in the --copy-to place); older ones are "
    "deleted",
)
@click.option(
    "--check",
    "checked",
    type=click.Path(dir_okay=False),
    default=None,
    help="check that this backup file restores, instead of making a backup",
)
@click.option(
    "--copy-to",
    "place",
    type=click.Path(file_okay=False),
    default=None,
    help="copy the newest backup (of --to, or instance/backups) into this second place, a USB "
    "stick's folder or a synced folder, instead of making a backup",
)
@click.option(
    "--prepare",
    is_flag=True,
    help="with --copy-to: mark that (existing) folder once as the shop's place for copies",
)
@with_appcontext
def backup(directory, keep, checked, place, prepare):
    """Copy the live SQLite database into a checked backup file; keep the newest KEEP.

    The shop can go on selling while it runs. On PostgreSQL use pg_dump instead.
    With --check FILE, tell whether FILE restores (exit status 0) or not (1).
    With --copy-to DIR, copy the newest backup to DIR, checked, keeping the newest KEEP there.
    """
    from pathlib import Path

    from shop.services import backup as backup_service

    if checked is not None:
        if directory is not None or place is not None:
            raise click.UsageError(
                "--check reads a backup; --to is for making one, --copy-to for copying one"
            )
        _check_backup(Path(checked))
        return
    app = current_app._get_current_object()
    if prepare and place is None:
        raise click.UsageError("--prepare marks the folder given with --copy-to")
    if place is not None:
        source = Path(directory) if directory else Path(app.instance_path) / "backups"
        _copy_backup(source, Path(place), keep=keep, prepare=prepare)
        return
    try:
        source = backup_service.sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    except backup_service.NotSQLite as error:
        raise click.ClickException(str(error)) from None
    target = Path(directory) if directory else Path(app.instance_path) / "backups"
    at = clock.now()
    try:
        made = backup_service.backup_sqlite(source, target, at=at, tz=app.config["SHOP_TZ"])
    except backup_service.BackupError as error:
        raise click.ClickException(f"no backup was made: {error}") from None
    backup_service.record_backup(Path(app.instance_path), made, at=at)
    click.echo(
        f"backup written: {made.path} ({made.size_bytes:,} bytes, {made.sales:,} sales, "
        "integrity ok)"
    )
    removed = backup_service.remove_old_backups(target, keep)
    for path in removed:
        click.echo(f"removed old backup: {path}")
    kept = len(backup_service.backups(target))
    click.echo(f"{kept} backup(s) kept in {target}, {len(removed)} removed")


def _copy_backup(source, place, *, keep: int, prepare: bool) -> None:
    from shop.services import backup as backup_service

    try:
        if prepare:
            marker = backup_service.prepare_place(place)
            click.echo(f"{place} is now the shop's place for copies ({marker.name} written)")
        revisions, heads = known_migrations(current_app)
        copied = backup_service.copy_newest(
            source, place, keep=keep, revisions=revisions, heads=heads
        )
    except backup_service.BackupError as error:
        raise click.ClickException(f"no copy was made: {error}") from None
    found = copied.check
    how = "was already there, sound" if copied.already_there else "copied"
    click.echo(
        f"{copied.path} {how}: restores, integrity ok, migration {found.revision}, "
        f"{found.members:,} members, {found.sales:,} sales ({found.size_bytes:,} bytes)"
    )
    for path in copied.removed:
        click.echo(f"removed old copy: {path}")


def _check_backup(path) -> None:
    from shop.services import backup as backup_service

    revisions, heads = known_migrations(current_app)
    try:
        found = backup_service.check_backup(path, revisions=revisions, heads=heads)
    except backup_service.BackupError as error:
        raise click.ClickException(f"this backup does not restore: {error}") from None
    migration = (
        f"migration {found.revision} (the newest)"
        if found.newest
        else f"migration {found.revision} (older: the shop upgrades it when it starts, "
        "or run `flask db upgrade`)"
    )
    click.echo(
        f"{found.path} restores: integrity ok, {migration}, {found.members:,} members, "
        f"{found.sales:,} sales, {found.months:,} closed months ({found.size_bytes:,} bytes)"
    )


@bank_cli.command("poll")
def poll_bank():
    """Ask the shop's bank-notification service for new transactions now (as the settings
    page's "Kiểm tra giao dịch" does) and say what they did."""
    from shop.bank.poller import poll_once

    result = poll_once(db.session, at=clock.now(), force=True)
    if result.skipped:
        raise click.ClickException(
            {"no_provider": "no bank feed is set (Settings → Bank)"}.get(
                result.skipped, str(result.message) or result.skipped
            )
        )
    if result.error:
        raise click.ClickException(f"{result.error}: {result.detail or result.message}")
    outcomes = ", ".join(f"{count} {name}" for name, count in sorted(result.outcomes.items()))
    click.echo(f"{result.provider}: {result.new} new of {result.seen} listed" +
               (f" ({outcomes})" if outcomes else ""))  # fmt: skip
    if result.confirmed_sales:
        click.echo("confirmed sales: " + ", ".join(map(str, result.confirmed_sales)))


def init_commands(app: Flask) -> None:
    from shop.journal.cli import journal_cli

    app.cli.add_command(journal_cli)
    app.cli.add_command(members_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(month_cli)
    app.cli.add_command(bank_cli)
    app.cli.add_command(demo)
    app.cli.add_command(receipt)
    app.cli.add_command(labels)
    app.cli.add_command(backup)
