"""Every slip the printer prints, from the database to :class:`shop.printing.receipt.Receipt`:
sale receipts (also for the browser), void and refund slips, the Z report and a test page,
all in the shop's language; and :func:`job_bytes`, what a queued print job sends.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from flask import current_app
from flask_babel import format_datetime, get_translations
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.domain.money import format_dong
from shop.i18n import format_day
from shop.models import Sale, SaleStatus, ShopProfile
from shop.printing.receipt import Receipt, ReceiptLabels, ReceiptLine


def labels() -> ReceiptLabels:
    # The translations looked up once for all ten words (flask_babel's gettext finds them
    # again for each one).
    _ = get_translations().ugettext
    return ReceiptLabels(
        sale=_("Sale"),
        cashier=_("Cashier"),
        subtotal=_("Subtotal"),
        discount=_("Discount"),
        total=_("Total"),
        cash=_("Cash"),
        tendered=_("Tendered"),
        change=_("Change to give"),
        transfer=_("Transfer"),
        scan_to_pay=_("Scan to pay"),
    )


def _shop(session: Session) -> dict:
    """The head of every slip: the shop's name and address."""
    return _head(session)[0]


def _head(session: Session) -> tuple[dict, str]:
    """The head of every slip (:func:`_shop`) and the receipts' footer, in one small
    statement."""
    return _head_of(session.execute(_PROFILE).first())


def _head_of(profile) -> tuple[dict, str]:
    """:func:`_head` from the shop's profile as read (its name, address and receipt
    footer; ``None`` when the shop has none yet)."""
    name = profile.name if profile else None
    head = {
        "shop_name": name if name is not None else _("Shop"),
        "shop_address": (profile.address if profile else "") or "",
    }
    return head, (profile.receipt_footer if profile else "") or ""


_PROFILE = select(ShopProfile.name, ShopProfile.address, ShopProfile.receipt_footer).where(
    ShopProfile.id == 1
)


def _moment(at) -> str:
    return format_datetime(at, "dd/MM/yyyy HH:mm")


def receipt_for_sale(session: Session, sale, *, head: tuple[dict, str] | None = None) -> Receipt:
    """The receipt of ``sale`` (the transfer's VietQR on it while the money is awaited).

    A voided sale's receipt says so in its title and gives who voided it and why. ``sale``
    is a :class:`~shop.models.Sale` or what :func:`_sale_with_lines` reads of one; ``head``:
    :func:`_head`, when the caller read it already.
    """
    from shop.services.transfers import transfer_payload

    head, footer = _head(session) if head is None else head
    waiting = transfer_payload(session, sale)
    payload = waiting[0] if waiting else None
    lines = tuple(
        ReceiptLine(
            code=line.item.code,
            description=" · ".join(filter(None, [line.item.category.name, line.item.description])),
            quantity=line.quantity,
            unit_price_dong=line.unit_price_dong,
            discount_dong=line.discount_dong,
            discount_reason=line.discount_reason,
            # The receipt shows each line before its share of the whole-sale discount.
            net_dong=line.unit_price_dong * line.quantity - line.discount_dong,
        )
        for line in sale.lines
    )
    title = _("VOIDED SALE") if sale.status is SaleStatus.VOIDED else _("RECEIPT")
    voided = ()
    if sale.void is not None:
        voided = (
            (_("Voided"), _moment(sale.void.at)),
            (_("By"), sale.void.by.name),
            (_("Reason"), sale.void.reason),
        )
    return Receipt(
        **head,
        title=title,
        number=sale.number,
        moment_text=_moment(sale.at),
        cashier=sale.cashier.name,
        lines=lines,
        sale_discount_dong=sale.discount_dong,
        sale_discount_reason=sale.discount_reason,
        total_dong=sale.total_dong,
        cash_dong=sale.cash_dong,
        tendered_dong=sale.tendered_dong,
        change_dong=sale.change_dong,
        transfer_dong=sale.transfer_dong,
        vietqr_payload=payload,
        footer=footer,
        labels=labels(),
        extra_rows=voided,
    )


def refund_slip(session: Session, refund) -> Receipt:
    """The slip of a refund: which sale and item, how much went back and how, and why."""
    line = refund.line
    item = line.item
    method = _("Cash") if refund.method.value == "cash" else _("Transfer")
    description = " · ".join(filter(None, [item.category.name, item.description]))
    return Receipt(
        **_shop(session),
        title=_("MONEY GIVEN BACK"),
        number=line.sale.number,
        moment_text=_moment(refund.at),
        cashier=refund.by.name,
        extra_rows=(
            (f"{item.code} {description}", ""),
            (_("Pieces"), str(refund.quantity)),
            (_("Paid for this line"), line.net_dong),
            (_("Given back") + f" ({method.lower()})", refund.amount_dong),
            (_("Reason"), refund.reason),
            (_("Back on the rail"), _("yes") if refund.restock else _("no")),
        ),
        labels=labels(),
    )


def z_report_slip(session: Session, report) -> Receipt:
    """A shift's or a day's Z report on the receipt printer (the same figures as its page)."""
    from shop import clock

    rows: list[tuple[str, str | int]] = []
    if report.kind == "shift":
        title = _("SHIFT REPORT")
        rows += [
            (_("Seller"), f"{report.member.name} · {report.member.number}"),
            (_("Opened"), _moment(report.opened_at)),
            (_("Closed"), _moment(report.closed_at) if report.closed_at else _("still open")),
        ]
    else:
        title = _("DAILY REPORT")
        rows.append((_("Day"), format_day(report.day)))
    rows += [
        (_("Completed sales"), str(report.sales_count)),
        (_("Pieces sold"), str(report.pieces)),
        (_("At the sale prices"), report.gross_dong),
        (_("Discounts on items"), -report.line_discounts_dong),
        (_("Discounts on whole sales"), -report.sale_discounts_dong),
        (_("Net sales"), report.net_dong),
        (_("Voided sales"), f"{report.voids_count} · " + format_dong(report.voids_total_dong)),
        (_("Cash"), report.cash_dong),
        (_("Transfer"), report.transfer_dong),
    ]
    if report.awaiting_transfer_count:
        rows.append((_("Waiting for the transfer"), report.awaiting_transfer_dong))
    rows += [
        (_("Refunds"), str(report.refunds_count)),
        (_("Cash given back"), -report.refunds_cash_dong),
        (_("Transfers given back"), -report.refunds_transfer_dong),
        (_("Net after refunds"), report.net_after_refunds_dong),
        (_("Owners' part"), report.consignment_dong),
    ]
    if report.categories:
        rows.append((_("By category").upper(), ""))
    for category in report.categories:
        rows.append((f"{category.category} ({category.pieces})", category.net_dong))
    drawers = (report.drawer,) if report.drawer is not None else report.shifts
    if drawers:
        rows.append((_("Cash drawer").upper(), ""))
    for drawer in drawers:
        if report.drawer is None:
            rows.append((f"{drawer.member.name} · {drawer.member.number}", ""))
        rows += [
            (_("Opening float"), drawer.opening_float_dong),
            (_("Expected in the drawer"), drawer.expected_dong),
            (
                _("Counted cash"),
                _("not counted yet") if drawer.counted_dong is None else drawer.counted_dong,
            ),
        ]
        if drawer.difference_dong is not None:
            rows.append((_("Difference"), drawer.difference_dong))
    return Receipt(
        **_shop(session),
        title=title,
        moment_text=_moment(clock.now()),
        extra_rows=tuple(rows),
        labels=labels(),
    )


#: Every Vietnamese letter with its marks, so a test print shows at once whether they come out.
VIETNAMESE_LETTERS = (
    "aàáảãạ ăằắẳẵặ âầấẩẫậ eèéẻẽẹ êềếểễệ iìíỉĩị oòóỏõọ ôồốổỗộ ơờớởỡợ "
    "uùúủũụ ưừứửữự yỳýỷỹỵ đ Đ ẮẰẲẴẶ ỮỰ"
)


def test_slip(session: Session, settings) -> Receipt:
    """A test page: the shop's name, the settings in use and every Vietnamese letter."""
    from shop import clock

    return Receipt(
        **_shop(session),
        title=_("TEST PRINT"),
        moment_text=_moment(clock.now()),
        extra_rows=(
            (_("Paper"), f"{settings.paper_mm} mm"),
            (_("Printer profile"), settings.profile),
            (_("Letters"), ""),
            (VIETNAMESE_LETTERS, ""),
            (_("Cash drawer"), str(settings.drawer_pin) if settings.drawer_pin else _("none")),
        ),
        footer=_("If every letter above has its marks, receipts will print right."),
        labels=labels(),
    )


#: A print job's bytes, made without the database: everything the slip shows was read
#: when it was made (see :func:`job_maker`).
Maker = Callable[[], bytes]


def sale_receipt_bytes(session: Session, sale_id: int, settings, *, open_drawer: bool) -> bytes:
    """The ESC/POS bytes of the receipt of the sale with id ``sale_id`` under the printer's
    ``settings``: what a receipt job of the queue sends, and what the counter device gets to
    hand to the printer itself. ``open_drawer`` adds the drawer's kick (when one is wired)."""
    return _sale_receipt_maker(session, sale_id, settings, open_drawer=open_drawer)()


def _sale_receipt_maker(session: Session, sale_id: int, settings, *, open_drawer: bool) -> Maker:
    sale = _sale_with_lines(session, sale_id)
    slip = receipt_for_sale(session, sale, head=getattr(sale, "head", None))
    return _slip_maker(slip, _options(settings, open_drawer))


def _slip_maker(slip: Receipt, options: dict) -> Maker:
    def make() -> bytes:
        from shop.printing.escpos_out import receipt_bytes

        return receipt_bytes(slip, **options)

    return make


def _options(settings, open_drawer: bool) -> dict:
    return {
        "paper_mm": settings.paper_mm,
        "profile": settings.profile,
        "mode": settings.mode.value,
        "drawer_pin": settings.drawer_pin or 2,
        "open_drawer": open_drawer and settings.drawer_pin != 0,
    }


def job_bytes(session: Session, job, settings, *, open_drawer: bool) -> bytes:
    """The ESC/POS bytes of a queued print ``job`` under the printer's ``settings``."""
    return job_maker(session, job, settings, open_drawer=open_drawer)()


def job_maker(session: Session, job, settings, *, open_drawer: bool) -> Maker:
    """What :func:`job_bytes` makes, in two halves: this reads what the slip shows, and the
    function it returns draws the bytes without the database (so the print queue reads
    inside a short transaction and draws after it)."""
    from shop.models import JobKind, Refund
    from shop.services import reports

    options = _options(settings, open_drawer)
    if job.kind == JobKind.DRAWER:
        pin, profile = settings.drawer_pin, settings.profile

        def drawer() -> bytes:
            from shop.printing.escpos_out import drawer_bytes

            return drawer_bytes(pin, profile=profile)

        return drawer
    if job.kind in (JobKind.RECEIPT, JobKind.VOID):
        return _sale_receipt_maker(session, job.sale_id, settings, open_drawer=open_drawer)
    if job.kind == JobKind.REFUND:
        slip = refund_slip(session, session.get(Refund, job.refund_id))
    elif job.kind == JobKind.Z_REPORT:
        from shop.models import Shift

        tz = current_app.config["SHOP_TZ"]
        slip = z_report_slip(
            session, reports.shift_report(session, session.get(Shift, job.shift_id), tz=tz)
        )
    elif job.kind == JobKind.TEST:
        slip = test_slip(session, settings)
    elif job.kind == JobKind.LABELS:
        return _labels_maker(session, job.codes.split(), settings)
    else:  # pragma: no cover - every kind is handled above
        raise ValueError(f"unknown print job kind {job.kind!r}")
    return _slip_maker(slip, options)


def _sale_with_lines(session: Session, sale_id: int) -> _ReceiptSale:
    """The sale of a receipt job as :func:`receipt_for_sale` reads it, with the slips' head
    (:func:`_head`), in one statement: a row for each line, with its item and category,
    the cashier, the void and the shop's profile (a print job reads them for every sale:
    the ORM's objects of them cost more to make than the statement does to run)."""
    from shop.database import read_core

    rows = read_core(session, _receipt_sale_query(), {"sale_id": sale_id}).all()
    if not rows:
        raise LookupError(f"no sale with id {sale_id}")
    return _ReceiptSale(rows)


class _ReceiptSale:
    """What a receipt shows of a sale, from :func:`_receipt_sale_query`'s rows, with the
    names of :class:`~shop.models.Sale` and its lines. Its state is worked out by the
    sale's own properties (the one place it is)."""

    def __init__(self, rows):
        from types import SimpleNamespace as Read

        first = rows[0]
        #: The slips' head (:func:`_head`), read with the sale.
        self.head = _head_of(first)
        for name in _SALE_FIELDS:
            setattr(self, name, getattr(first, name))
        self.cashier = Read(name=first.cashier_name)
        self.void = (
            None
            if first.void_id is None
            else Read(at=first.void_at, by=Read(name=first.voided_by), reason=first.void_reason)
        )
        self.lines = [
            Read(
                item=Read(
                    code=row.code,
                    description=row.description,
                    category=Read(name=row.category_name),
                ),
                quantity=row.quantity,
                unit_price_dong=row.unit_price_dong,
                discount_dong=row.line_discount_dong,
                discount_reason=row.line_discount_reason,
            )
            for row in rows
            if row.quantity is not None  # a sale without lines has one row, of none
        ]

    status = vars(Sale)["status"]
    change_dong = vars(Sale)["change_dong"]
    awaiting_transfer = vars(Sale)["awaiting_transfer"]
    transfer_outstanding = vars(Sale)["transfer_outstanding"]


_SALE_FIELDS = (
    "id", "number", "at", "discount_dong", "discount_reason", "total_dong", "cash_dong",
    "transfer_dong", "tendered_dong", "confirmed_at",
)  # fmt: skip


@lru_cache(maxsize=1)
def _receipt_sale_query():
    """:func:`_sale_with_lines`'s statement, made once."""
    from sqlalchemy import bindparam
    from sqlalchemy.orm import aliased

    from shop.models import Category, Item, Member, SaleLine, Void

    cashier, voider = aliased(Member), aliased(Member)
    return (
        select(
            *(getattr(Sale, name) for name in _SALE_FIELDS),
            cashier.name.label("cashier_name"),
            Void.id.label("void_id"),
            Void.at.label("void_at"),
            Void.reason.label("void_reason"),
            voider.name.label("voided_by"),
            ShopProfile.name,
            ShopProfile.address,
            ShopProfile.receipt_footer,
            SaleLine.quantity,
            SaleLine.unit_price_dong,
            SaleLine.discount_dong.label("line_discount_dong"),
            SaleLine.discount_reason.label("line_discount_reason"),
            Item.code,
            Item.description,
            Category.name.label("category_name"),
        )
        .select_from(Sale)
        .join(cashier, cashier.id == Sale.cashier_id)
        .outerjoin(Void, Void.sale_id == Sale.id)
        .outerjoin(voider, voider.id == Void.by_id)
        .outerjoin(SaleLine, SaleLine.sale_id == Sale.id)
        .outerjoin(Item, Item.id == SaleLine.item_id)
        .outerjoin(Category, Category.id == Item.category_id)
        .outerjoin(ShopProfile, ShopProfile.id == 1)
        .where(Sale.id == bindparam("sale_id"))
        .order_by(SaleLine.position)
    )


def _job_tags(session: Session, codes: list[str]) -> list:
    """The tags of the items with ``codes``, in order (a code given twice, twice)."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from shop.models import Item
    from shop.printing.web import tags_for

    found = {
        item.code: item
        for item in session.scalars(
            select(Item).where(Item.code.in_(set(codes))).options(joinedload(Item.category))
        )
    }
    items = [found[code] for code in codes if code in found]
    if not items:
        raise ValueError("none of the label job's items exists")
    tags = {item.code: tag for item, tag in zip(items, tags_for(session, items), strict=True)}
    return [tags[item.code] for item in items]


def labels_job_bytes(session: Session, codes: list[str], settings) -> bytes:
    """Price-tag labels for the items with ``codes``, one after another on the roll."""
    return _labels_maker(session, codes, settings)()


def _labels_maker(session: Session, codes: list[str], settings) -> Maker:
    tags = _job_tags(session, codes)
    paper_mm, profile = settings.paper_mm, settings.profile

    def make() -> bytes:
        from shop.printing.labels import labels_bytes
        from shop.printing.web import tag_labels

        return labels_bytes(tags, paper_mm=paper_mm, profile=profile, labels=tag_labels())

    return make


def sample_tag(session: Session):
    """The tag a test label shows: the shop's name, a price, a category with Vietnamese
    marks, a size and a code that scans."""
    from shop import clock
    from shop.printing.tags import Tag

    today = clock.today()
    return Tag(
        code="12345",
        price_dong=150_000,
        category=_("Test label"),
        description="Áo dài lụa tơ tằm",
        size="M",
        intake_month=today.replace(day=1),
        shop_name=_shop(session)["shop_name"],
    )


def label_printer_job_bytes(session: Session, job, label, receipt) -> bytes:
    """The bytes of a job for the label printer under its ``label`` settings: TSPL for a
    roll label printer, ESC/POS labels cut apart on a receipt roll (``receipt``'s paper
    width and printer model)."""
    return label_printer_job_maker(session, job, label, receipt)()


def label_printer_job_maker(session: Session, job, label, receipt) -> Maker:
    """:func:`label_printer_job_bytes` in two halves, as :func:`job_maker`."""
    from shop.models import JobKind, LabelLanguage
    from shop.services.printing import label_roll

    if job.kind == JobKind.TEST:
        tags = [sample_tag(session)]
    elif job.kind == JobKind.LABELS:
        tags = _job_tags(session, job.codes.split())
    else:
        raise ValueError(f"a {job.kind} job does not go to the label printer")
    if label.language == LabelLanguage.TSPL:
        roll, test = label_roll(label), job.kind == JobKind.TEST

        def tspl() -> bytes:
            from shop.printing.tspl import sample_label_bytes, tspl_bytes
            from shop.printing.web import tag_labels

            if test:
                return sample_label_bytes(tags[0], roll, labels=tag_labels())
            return tspl_bytes(tags, roll, labels=tag_labels())

        return tspl
    if label.language == LabelLanguage.ESCPOS:
        paper_mm, profile = receipt.paper_mm, receipt.profile

        def escpos() -> bytes:
            from shop.printing.labels import labels_bytes
            from shop.printing.web import tag_labels

            return labels_bytes(tags, paper_mm=paper_mm, profile=profile, labels=tag_labels())

        return escpos
    raise ValueError("no label printer is set up")
