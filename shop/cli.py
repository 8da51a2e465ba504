"""Commands under ``flask --app wsgi``: members, tokens, the demo shop, the database."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from shop import clock
from shop.extensions import db
from shop.models import Role
from shop.services import members as member_service
from shop.services import stock as stock_service
from shop.services.errors import ShopError

members_cli = AppGroup("members", help="Add, list and change members.")
tokens_cli = AppGroup("tokens", help="Create, list and revoke API tokens.")

DEMO_SHOP = {"name": "NEW ME – Đồ cũ", "address": "123 Nghĩa Dũng, Ba Đình, Hà Nội"}
DEMO_MEMBERS = [
    # number, name, phone, role, joined_on, PIN
    (1, "Nguyễn Thị Hồng", "0912000001", Role.COORDINATOR, date(2026, 10, 1), "2468"),
    (2, "Nguyễn Thị Ngọc", "0912000002", Role.MEMBER, date(2026, 10, 1), "1357"),
    (3, "Nguyễn Thị Út", "0912000003", Role.MEMBER, date(2026, 10, 1), "3579"),
    (4, "Trần Thị Lan", "0912000004", Role.MEMBER, date(2026, 12, 15), "8642"),
]


def upgrade_database(app: Flask) -> None:
    """Bring the database schema to the newest migration (nothing to do if it is there)."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        # No connection opened here may cross into a forked gunicorn worker.
        db.engine.dispose()


def _fail(error: ShopError):
    raise click.ClickException(f"{error.field or 'error'}: {error.message}")


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
    try:
        member = member_service.create_member(
            db.session, details, pin, country_code=current_app.config["SHOP_COUNTRY_CODE"]
        )
    except ShopError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
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
    try:
        member = member_service.get_member(db.session, number)
        member_service.set_pin(db.session, member, pin)
    except ShopError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
    click.echo(f"new PIN set for member {number}")


@tokens_cli.command("create")
@click.option("--member", "number", type=int, required=True, help="the coordinator it acts as")
@click.option("--name", required=True, help="what the token is for")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.MEMBER.value)
def create_token(number, name, role):
    """Create a bearer token; its secret is printed once and never stored."""
    try:
        owner = member_service.get_member(db.session, number)
        token, secret = member_service.create_token(db.session, owner, name, Role(role))
    except ShopError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
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
    try:
        member_service.revoke_token(db.session, token_id, now=clock.now())
    except ShopError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
    click.echo(f"token {token_id} revoked")


@click.command("demo")
@with_appcontext
def demo():
    """Fill an empty database with a small demo shop; leave a used one untouched."""
    if member_service.has_members(db.session):
        click.echo("The database already has members; the demo shop was not loaded.")
        click.echo(
            "If it is the demo shop: sign in with phone "
            f"{DEMO_MEMBERS[0][2]} and PIN {DEMO_MEMBERS[0][5]}."
        )
        return
    member_service.save_shop_settings(
        db.session,
        name=DEMO_SHOP["name"],
        address=DEMO_SHOP["address"],
        bank_bin="970415",
        bank_account="113366668888",
        bank_account_name="NHOM NEW ME",
        receipt_footer="Cảm ơn chị! Đổi hàng trong 3 ngày.",
    )
    stock_service.seed_categories(db.session)
    for number, name, phone, role, joined_on, pin in DEMO_MEMBERS:
        details = member_service.MemberDetails(
            name=name, phone=phone, role=role, joined_on=joined_on
        )
        member_service.create_member(
            db.session,
            details,
            pin,
            number=number,
            country_code=current_app.config["SHOP_COUNTRY_CODE"],
        )
    _demo_stock()
    db.session.commit()
    click.echo(
        "Demo shop loaded. Sign in as the coordinator: "
        f"phone {DEMO_MEMBERS[0][2]}, PIN {DEMO_MEMBERS[0][5]}."
    )
    for number, name, phone, _role, _joined, pin in DEMO_MEMBERS[1:]:
        click.echo(f"  member {number} {name}: phone {phone}, PIN {pin}")


def _demo_stock() -> None:
    """A bag of donations today, Ngọc's consignment, a lot of socks and an old bag to clear."""
    from datetime import timedelta

    from shop.models import Condition, IntakeKind

    tz = current_app.config["SHOP_TZ"]
    hong = member_service.get_member(db.session, 1)
    suggestions = {
        ("Áo", Condition.GOOD): 50_000,
        ("Áo", Condition.LIKE_NEW): 70_000,
        ("Quần", Condition.GOOD): 45_000,
        ("Váy, đầm", Condition.GOOD): 80_000,
    }
    by_name = {c.name: c for c in stock_service.categories(db.session)}
    for (name, condition), price in suggestions.items():
        stock_service.set_price_suggestion(db.session, by_name[name].id, condition, price)

    def intake(days_ago: int, **details):
        at = clock.now() - timedelta(days=days_ago)
        return stock_service.receive_intake(
            db.session, stock_service.IntakeDetails(received_at=at, **details), by=hong, tz=tz
        )

    old = intake(
        95,
        kind=IntakeKind.DONATION,
        new_donor=stock_service.DonorDetails("Chị Mai", "0912 345 678"),
    )
    for category, description, size, price in [
        ("Áo", "Áo sơ mi nữ trắng", "M", 50_000),
        ("Quần", "Quần jean xanh", "28", 45_000),
    ]:
        stock_service.add_item(
            db.session, old, stock_service.ItemDetails(category, price, description, size)
        )
    bag = intake(
        0,
        kind=IntakeKind.DONATION,
        new_donor=stock_service.DonorDetails("Văn phòng LIGHT", organisation="LIGHT"),
    )
    for category, description, size, price, condition in [
        ("Áo khoác", "Áo khoác gió xanh rêu", "L", 80_000, Condition.LIKE_NEW),
        ("Áo", "Áo len cổ lọ", "S", 40_000, Condition.GOOD),
        ("Đồ trẻ em", "Bộ đồ bé trai 4 tuổi", "4", 30_000, Condition.GOOD),
        ("Túi", "Túi vải in hoa", None, 20_000, Condition.NEW),
    ]:
        stock_service.add_item(
            db.session,
            bag,
            stock_service.ItemDetails(category, price, description, size, condition),
        )
    stock_service.add_lot(
        db.session, bag, stock_service.LotDetails("Phụ kiện", 10_000, 40, "Tất các loại")
    )
    ngoc = intake(35, kind=IntakeKind.CONSIGNMENT, owner_number=2)
    stock_service.add_item(
        db.session,
        ngoc,
        stock_service.ItemDetails("Váy, đầm", 120_000, "Váy liền hoa nhí", "S", Condition.LIKE_NEW),
    )


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
    import sys

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
    if target == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(target, "ab" if target.startswith("/dev/") else "wb") as handle:
            handle.write(data)
        click.echo(f"{len(data)} bytes for sale {number} written to {target}", err=True)


def init_commands(app: Flask) -> None:
    from shop.journal.cli import journal_cli

    app.cli.add_command(journal_cli)
    app.cli.add_command(members_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(demo)
    app.cli.add_command(receipt)
