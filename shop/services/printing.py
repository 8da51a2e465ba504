"""The receipt printer's settings and the print queue, as the counter and the pages use them.

Jobs are added in the transaction of what they print (the sale, the refund, the void), and
sent by :mod:`shop.printing.queue` after that transaction commits. Nothing here talks to a
printer, so nothing here can make a sale fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, joinedload

from shop.database import adopt_inserted, run_core, settings_row
from shop.domain.calendar import utc_now
from shop.models import (
    ConnectionKind,
    JobKind,
    JobStatus,
    LabelLanguage,
    LabelPrinterSettings,
    Member,
    PaymentMethod,
    PrinterSettings,
    PrintJob,
    PrintMode,
    ReceiptPath,
    Refund,
    Sale,
    Shift,
)
from shop.printing.escpos_out import Connection
from shop.printing.file_printer import Place, UnsafePath
from shop.printing.file_printer import check as check_printer_path
from shop.services import audit
from shop.services.errors import InvalidInput

#: Session.info key telling the queue's after-commit hook that there is something to send.
JOBS_ADDED = "print_jobs_added"
#: Seconds to wait for a printer to answer or take more data.
SEND_TIMEOUT_SECONDS = 8.0

#: The settings a form may change, with their defaults (those of a shop with no printer).
SETTING_FIELDS = (
    "receipt_path",
    "connection",
    "host",
    "port",
    "usb_vendor_id",
    "usb_product_id",
    "serial_device",
    "baudrate",
    "path",
    "cups_queue",
    "paper_mm",
    "profile",
    "mode",
    "drawer_pin",
    "auto_receipt",
)


def printer_settings(session: Session) -> PrinterSettings:
    """The printer's settings; a shop that never set them gets the defaults (no printer),
    as a row not yet added to the session."""
    settings = settings_row(session, PrinterSettings)
    if settings is None:
        settings = PrinterSettings(
            id=1,
            connection=ConnectionKind.NONE,
            host="",
            port=9100,
            serial_device="",
            baudrate=9600,
            path="",
            cups_queue="",
            paper_mm=58,
            profile="default",
            mode=PrintMode.RASTER,
            drawer_pin=0,
            auto_receipt=True,
            receipt_path=ReceiptPath.SERVER,
        )
    return settings


def printer_settings_row(session: Session):
    """The printer's settings to read only, as a row of their table with the same names (a
    print job reads them for every slip: the ORM's object costs more to make than the
    statement does to run); the defaults of :func:`printer_settings` when none are saved."""
    return run_core(session, _SETTINGS_ROW).first() or printer_settings(session)


_SETTINGS_ROW = select(*PrinterSettings.__table__.c).where(PrinterSettings.__table__.c.id == 1)


def connection_of(
    settings: PrinterSettings, timeout: float | None = None, *, place: Place
) -> Connection:
    """Where jobs go under ``settings`` (raises ValueError if they are incomplete); a file
    printer writes only where ``place`` allows (:func:`file_place`)."""
    timeout = SEND_TIMEOUT_SECONDS if timeout is None else timeout
    return Connection(
        kind=settings.connection.value,
        host=settings.host,
        port=settings.port,
        path=settings.path,
        usb_vendor_id=settings.usb_vendor_id,
        usb_product_id=settings.usb_product_id,
        serial_device=settings.serial_device,
        baudrate=settings.baudrate,
        cups_queue=settings.cups_queue,
        timeout=timeout,
        place=place,
    )


def file_place(instance_path: str, database_uri: str) -> Place:
    """Where a file printer may write in the shop whose instance folder is ``instance_path``
    (its printer-out), and the shop's own files it may never be: the SQLite database of
    ``database_uri`` with its journal files, and the secret key."""
    instance = os.path.abspath(instance_path)
    protected = [os.path.join(instance, "secret_key")]
    url = make_url(database_uri)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = os.path.abspath(url.database)
        protected += [database, *(database + end for end in ("-wal", "-shm", "-journal"))]
    return Place(instance=instance, protected=tuple(protected))


def save_printer_settings(
    session: Session, values: dict, *, by: Member, at: datetime, place: Place
) -> PrinterSettings:
    """Store the printer's settings (``values`` holds :data:`SETTING_FIELDS`).

    Refused with the field at fault when a connection lacks what it needs (a host, a device,
    a queue's name) or the profile cannot print as asked.
    """
    from shop.printing.escpos_out import receipt_bytes  # noqa: F401  (python-escpos loaded)

    settings = printer_settings(session)
    return _save(
        session, settings, values, SETTING_FIELDS, lambda new: _check(new, place),
        "printer_settings", by, at,
    )  # fmt: skip


def _save(
    session: Session,
    settings: PrinterSettings | LabelPrinterSettings,
    values: dict,
    fields: tuple[str, ...],
    check: Callable[[PrinterSettings | LabelPrinterSettings], None],
    action: str,
    by: Member,
    at: datetime,
) -> PrinterSettings | LabelPrinterSettings:
    """``values`` written on a printer's ``settings`` (only its ``fields``; the defaults
    added to the session the first time), refused by ``check`` or stamped and audited as
    ``action``."""
    session.add(settings)
    for name in fields:
        if name in values:
            setattr(settings, name, values[name])
    check(settings)
    settings.updated_at = at
    settings.updated_by_id = by.id
    fields_now = {name: getattr(settings, name) for name in fields}
    audit.record(session, action, by=by, at=at, **fields_now)
    session.flush()
    return settings


_NEEDS = {
    ConnectionKind.NETWORK: ("host", "printing.host_missing"),
    ConnectionKind.FILE: ("path", "printing.path_missing"),
    ConnectionKind.SERIAL: ("serial_device", "printing.serial_device_missing"),
    ConnectionKind.CUPS: ("cups_queue", "printing.cups_queue_missing"),
}


def _check(settings: PrinterSettings, place: Place) -> None:
    from shop.printing.escpos_out import profile_problem

    needed = _NEEDS.get(settings.connection)
    if needed and not (getattr(settings, needed[0]) or "").strip():
        raise InvalidInput(needed[1], needed[0])
    # Jobs are written there by the web process: a printer's device or a file in
    # printer-out, never the database, a disk or anything else (checked again per job).
    if settings.connection == ConnectionKind.FILE:
        _check_path(settings.path, "path", place)
    if settings.connection == ConnectionKind.SERIAL:
        _check_path(settings.serial_device, "serial_device", place, serial=True)
    if settings.connection == ConnectionKind.USB:
        for name in ("usb_vendor_id", "usb_product_id"):
            if getattr(settings, name) is None:
                raise InvalidInput("printing.usb_ids_missing", name)
    try:
        connection_of(settings, place=place)
    except ValueError:
        raise InvalidInput("printing.cups_queue_invalid", "cups_queue") from None
    problem = profile_problem(settings.profile, settings.paper_mm, settings.mode.value)
    if problem == "unknown":
        raise InvalidInput("printing.profile_unknown", "profile")
    if problem == "narrow":
        raise InvalidInput("printing.too_narrow", "paper_mm")
    if problem == "no_raster":
        raise InvalidInput("printing.no_raster", "mode")


def _check_path(path: str, field: str, place: Place, *, serial: bool = False) -> None:

    try:
        check_printer_path(path, place, serial=serial)
    except UnsafePath as error:
        raise InvalidInput(f"printer_path.{error.code}", field) from None


def printing_on(settings: PrinterSettings) -> bool:
    return settings.connection != ConnectionKind.NONE


def queue_job(
    session: Session,
    kind: JobKind,
    *,
    by: Member | None = None,
    sale: Sale | None = None,
    refund: Refund | None = None,
    shift: Shift | None = None,
    codes: Iterable[str] = (),
    open_drawer: bool = False,
    reprint: bool = False,
    at: datetime | None = None,
    claimed: bool = False,
    to_label_printer: bool = False,
    settings: PrinterSettings | None = None,
) -> PrintJob | None:
    """Owe the printer a job; ``None`` when the shop has no printer. Sent after the commit
    by the queue, unless ``claimed``: then the caller sends it itself (a test print).

    ``to_label_printer``: labels (or a test label) for the label printer, made from its
    settings when sent; ``None`` when the shop has no label printer. ``settings``: the
    printer's settings where the caller has them already.
    """
    settings = settings or printer_settings(session)
    if to_label_printer:
        if not label_printer_on(label_printer_settings(session), settings):
            return None
    elif not printing_on(settings):
        return None
    at = at or utc_now()
    columns = {
        "kind": kind,
        "sale_id": sale.id if sale else None,
        "refund_id": refund.id if refund else None,
        "shift_id": shift.id if shift else None,
        "codes": " ".join(codes),
        "open_drawer": open_drawer and settings.drawer_pin != 0 and not to_label_printer,
        "to_label_printer": to_label_printer,
        "reprint": reprint,
        "status": JobStatus.SENDING if claimed else JobStatus.QUEUED,
        "claimed_at": at if claimed else None,
        "finished_at": None,
        "last_reason": "",
        "attempts": 0,
        "created_at": at,
        "next_try_at": at,
        "by_id": by.id if by else None,
    }
    # Inserted as one statement on the table (every sale queues one: the ORM's flush costs
    # more than the insert), then the row as the session's own, every column known.
    job = PrintJob(id=run_core(session, _INSERT_JOB, columns).scalar_one(), **columns)
    adopt_inserted(session, job)
    if not claimed:
        session.info[JOBS_ADDED] = True
    return job


_INSERT_JOB = insert(PrintJob.__table__).returning(PrintJob.__table__.c.id)


def _slip_or_drawer(
    session: Session,
    kind: JobKind,
    cash: bool,
    by: Member,
    settings: PrinterSettings | None = None,
    **what,
) -> PrintJob | None:
    """The slip of ``kind`` if receipts print by themselves, else only the drawer for cash."""
    settings = settings or printer_settings(session)
    if settings.auto_receipt:
        return queue_job(session, kind, by=by, open_drawer=cash, settings=settings, **what)
    if cash and settings.drawer_pin:
        return queue_job(session, JobKind.DRAWER, by=by, open_drawer=True, settings=settings)
    return None


def device_prints(settings: PrinterSettings) -> bool:
    """Whether the counter device, not the server, sends sales' receipts to the printer."""
    return settings.receipt_path != ReceiptPath.SERVER


def device_drawer(settings: PrinterSettings) -> bool:
    """Whether the counter device opens the cash drawer: only RawBT and WebUSB send bytes
    to the printer the drawer is wired to; the browser's Print cannot."""
    return settings.receipt_path in (ReceiptPath.RAWBT, ReceiptPath.WEBUSB) and bool(
        settings.drawer_pin
    )


def after_sale(session: Session, sale: Sale, *, by: Member) -> PrintJob | None:
    """A sale was rung up at the counter: its receipt, and the drawer if cash came in.

    Nothing when the counter device prints receipts itself (RawBT, WebUSB, the browser):
    it prints the sale's receipt, with the drawer's kick in the same bytes for cash where
    its path can, so the server's queue owes the printer nothing for the sale.
    """
    # Only what decides the sale's job, in one small statement (the defaults' row when the
    # shop never set a printer).
    settings = run_core(session, _DECIDES_SALE_JOB).first() or printer_settings(session)
    if device_prints(settings):
        return None
    return _slip_or_drawer(
        session, JobKind.RECEIPT, sale.cash_dong > 0, by, settings=settings, sale=sale
    )


_DECIDES_SALE_JOB = select(
    PrinterSettings.connection,
    PrinterSettings.receipt_path,
    PrinterSettings.auto_receipt,
    PrinterSettings.drawer_pin,
).where(PrinterSettings.id == 1)


def after_refund(session: Session, refund: Refund, *, by: Member) -> PrintJob | None:
    """Money was given back: the refund slip, and the drawer for cash."""
    cash = refund.method == PaymentMethod.CASH
    return _slip_or_drawer(session, JobKind.REFUND, cash, by, refund=refund)


def after_void(session: Session, sale: Sale, *, by: Member) -> PrintJob | None:
    """A sale was voided: the void slip, and the drawer if its cash goes back."""
    return _slip_or_drawer(session, JobKind.VOID, sale.cash_dong > 0, by, sale=sale)


def reprint_sale(session: Session, sale: Sale, *, by: Member) -> PrintJob:
    """Print the receipt of ``sale`` again (the drawer stays shut)."""
    job = queue_job(session, JobKind.RECEIPT, by=by, sale=sale, reprint=True)
    if job is None:
        raise InvalidInput("printing.no_receipt_printer", "printer")
    return job


def latest_receipt_job(session: Session, sale: Sale) -> PrintJob | None:
    """The last receipt job of ``sale`` (``None`` if it was never sent to a printer)."""
    return session.scalar(
        select(PrintJob)
        .where(PrintJob.sale_id == sale.id, PrintJob.kind.in_([JobKind.RECEIPT, JobKind.VOID]))
        .order_by(PrintJob.id.desc())
        .limit(1)
    )


def not_printed(session: Session, *, since: datetime, by: Member | None = None) -> list[PrintJob]:
    """Receipts since ``since`` that did not come out (failed, or still retrying after a
    failed try) and were not printed by a later job of the same sale; newest first."""
    query = (
        select(PrintJob)
        .where(
            # The status first: the (status, next_try_at) index finds the few jobs that are
            # failed or waiting, however many receipts the shop has printed.
            PrintJob.status.in_((JobStatus.FAILED, JobStatus.QUEUED)),
            (PrintJob.status == JobStatus.FAILED) | (PrintJob.attempts > 0),
            PrintJob.created_at >= since,
            PrintJob.sale_id.is_not(None),
        )
        .options(joinedload(PrintJob.sale))
        .order_by(PrintJob.id.desc())
    )
    if by is not None:
        query = query.where(PrintJob.by_id == by.id)
    jobs = list(session.scalars(query))
    if not jobs:
        return []
    printed = dict(
        session.execute(
            select(PrintJob.sale_id, func.max(PrintJob.id))
            .where(
                PrintJob.sale_id.in_({job.sale_id for job in jobs}),
                PrintJob.status == JobStatus.PRINTED,
            )
            .group_by(PrintJob.sale_id)
        ).all()
    )
    seen: set[int] = set()
    result = []
    for job in jobs:  # newest first: one line per sale, unless a later job printed it
        if job.sale_id in seen or printed.get(job.sale_id, 0) > job.id:
            continue
        seen.add(job.sale_id)
        result.append(job)
    return result


def recent_jobs(
    session: Session, *, limit: int = 100, label_printer: bool | None = None
) -> list[PrintJob]:
    """The print log: the latest jobs with their attempts, newest first; with
    ``label_printer`` only the label printer's jobs (True) or the receipt printer's."""
    query = (
        select(PrintJob)
        .options(joinedload(PrintJob.sale), joinedload(PrintJob.by))
        .order_by(PrintJob.id.desc())
        .limit(limit)
    )
    if label_printer is not None:
        query = query.where(PrintJob.to_label_printer.is_(label_printer))
    return list(session.scalars(query).unique())


def recently(now: datetime, hours: int = 12) -> datetime:
    return now - timedelta(hours=hours)


# --- the label printer ---------------------------------------------------------------------

#: The label printer's settings a form may change.
LABEL_SETTING_FIELDS = (
    "language",
    "connection",
    "host",
    "port",
    "usb_vendor_id",
    "usb_product_id",
    "path",
    "width_mm",
    "height_mm",
    "columns",
    "gap_mm",
    "density",
)
#: How a label printer may be reached (a TSPL printer: one of these; ESC/POS: these, or
#: ``none`` for the receipt printer itself).
LABEL_CONNECTIONS = (ConnectionKind.NETWORK, ConnectionKind.USB, ConnectionKind.FILE)


def label_printer_settings(session: Session) -> LabelPrinterSettings:
    """The label printer's settings; the defaults (no label printer, a 40 × 30 mm roll) as
    a row not yet added to the session when the shop never set them."""
    settings = settings_row(session, LabelPrinterSettings)
    if settings is None:
        settings = LabelPrinterSettings(
            id=1,
            language=LabelLanguage.NONE,
            connection=ConnectionKind.NONE,
            host="",
            port=9100,
            path="",
            width_mm=40,
            height_mm=30,
            columns=1,
            gap_mm=2,
            density=8,
        )
    return settings


def label_printer_on(label: LabelPrinterSettings, receipt: PrinterSettings) -> bool:
    """Whether label jobs have somewhere to go: a TSPL printer with its connection, or
    ESC/POS on its own connection or else on the receipt printer's."""
    if label.language == LabelLanguage.TSPL:
        return label.connection != ConnectionKind.NONE
    if label.language == LabelLanguage.ESCPOS:
        return label.connection != ConnectionKind.NONE or printing_on(receipt)
    return False


def label_roll(label: LabelPrinterSettings):
    """The :class:`~shop.printing.tspl.Roll` of the label printer's settings."""
    from shop.printing.tspl import Roll

    return Roll(
        label.width_mm,
        label.height_mm,
        columns=label.columns,
        gap_mm=label.gap_mm,
        density=label.density,
    )


def label_connection_of(
    label: LabelPrinterSettings,
    receipt: PrinterSettings,
    timeout: float | None = None,
    *,
    place: Place,
) -> Connection:
    """Where label jobs go: the label printer's connection, or for ESC/POS labels without
    one, the receipt printer's (raises ValueError if incomplete)."""
    if label.connection == ConnectionKind.NONE:
        if label.language == LabelLanguage.ESCPOS:
            return connection_of(receipt, timeout, place=place)
        raise ValueError("no label printer is set up")
    timeout = SEND_TIMEOUT_SECONDS if timeout is None else timeout
    return Connection(
        kind=label.connection.value,
        host=label.host,
        port=label.port,
        path=label.path,
        usb_vendor_id=label.usb_vendor_id,
        usb_product_id=label.usb_product_id,
        timeout=timeout,
        place=place,
    )


def save_label_printer_settings(
    session: Session, values: dict, *, by: Member, at: datetime, place: Place
) -> LabelPrinterSettings:
    """Store the label printer's settings (``values`` holds :data:`LABEL_SETTING_FIELDS`).

    Refused with the field at fault: a TSPL printer without a connection, a connection
    without its address, device or USB ids, a roll no label printer takes.
    """
    settings = label_printer_settings(session)
    return _save(
        session, settings, values, LABEL_SETTING_FIELDS, lambda new: _check_label(new, place),
        "label_printer_settings", by, at,
    )  # fmt: skip


def _check_label(settings: LabelPrinterSettings, place: Place) -> None:
    if settings.language == LabelLanguage.NONE:
        return
    if settings.connection not in (*LABEL_CONNECTIONS, ConnectionKind.NONE):
        raise InvalidInput("label_printer.connection_invalid", "connection")
    if settings.language == LabelLanguage.TSPL and settings.connection == ConnectionKind.NONE:
        raise InvalidInput("label_printer.connection_invalid", "connection")
    needed = _NEEDS.get(settings.connection)
    if needed and not (getattr(settings, needed[0]) or "").strip():
        raise InvalidInput(needed[1], needed[0])
    if settings.connection == ConnectionKind.FILE:
        _check_path(settings.path, "path", place)
    if settings.connection == ConnectionKind.USB:
        for name in ("usb_vendor_id", "usb_product_id"):
            if getattr(settings, name) is None:
                raise InvalidInput("printing.usb_ids_missing", name)
    if settings.connection == ConnectionKind.NETWORK and not 1 <= settings.port <= 65535:
        raise InvalidInput("printing.port_invalid", "port")
    if settings.language == LabelLanguage.TSPL:
        _check_roll(settings)


def _check_roll(settings: LabelPrinterSettings) -> None:
    from shop.printing.tspl import MAX_ROLL_WIDTH_MM

    limits = {"width_mm": (20, 110), "height_mm": (10, 150), "gap_mm": (0, 10), "density": (0, 15)}
    for name, (low, high) in limits.items():
        value = getattr(settings, name)
        if value is None or not low <= value <= high:
            raise InvalidInput(f"label_printer.{name}_out_of_range", name)
    if settings.columns not in (1, 2, 3):
        raise InvalidInput("label_printer.columns_invalid", "columns")
    try:
        label_roll(settings)
    except ValueError:
        raise InvalidInput("label_printer.too_wide", "width_mm", mm=MAX_ROLL_WIDTH_MM) from None


def queue_labels(
    session: Session, codes: Iterable[str], *, by: Member | None, at: datetime | None = None
) -> PrintJob | None:
    """Labels for ``codes`` (a code once per copy), on the label printer if the shop has one,
    else on the receipt printer's roll; ``None`` when it has neither."""
    codes = list(codes)
    receipt = printer_settings(session)
    if label_printer_on(label_printer_settings(session), receipt):
        return queue_job(session, JobKind.LABELS, by=by, codes=codes, at=at, to_label_printer=True)
    return queue_job(session, JobKind.LABELS, by=by, codes=codes, at=at)


def reprint_job(session: Session, job_id: int, *, by: Member, at: datetime) -> PrintJob:
    """Owe the printer a job that did not print again: the same labels, receipt or slip, to
    the same printer (the drawer stays shut). Refused for a job that printed."""
    job = session.get(PrintJob, job_id)
    if job is None:
        raise InvalidInput("print_job.not_found", "job")
    if job.status == JobStatus.PRINTED:
        raise InvalidInput("print_job.printed_already", "job")
    if job.status == JobStatus.QUEUED:  # still waiting to retry: the new job takes its place
        retired = session.execute(
            update(PrintJob)
            .where(PrintJob.id == job.id, PrintJob.status == JobStatus.QUEUED)
            .values(status=JobStatus.FAILED, finished_at=at)
        )
        session.refresh(job)
        if retired.rowcount != 1:
            raise InvalidInput("print_job.printing_now", "job")
    elif job.status == JobStatus.SENDING:
        raise InvalidInput("print_job.printing_now", "job")
    again = queue_job(
        session,
        job.kind,
        by=by,
        sale=job.sale,
        refund=session.get(Refund, job.refund_id) if job.refund_id else None,
        shift=session.get(Shift, job.shift_id) if job.shift_id else None,
        codes=job.codes.split(),
        reprint=True,
        at=at,
        to_label_printer=job.to_label_printer,
    )
    if again is None:
        raise InvalidInput("printing.none", "printer")
    return again
