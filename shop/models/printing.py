"""The receipt printer: its settings, and the queue of print jobs with every attempt logged.

A job is a row written in the same transaction as what it prints (a sale, a refund, a void),
so a sale is never recorded without its receipt being owed, and never undone because the
printer failed. The job says *what* to print; the bytes are made when it is sent, from
committed data and the settings of that moment.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.database import UTCDateTime, string_enum
from shop.domain.calendar import utc_now
from shop.domain.text import DEVICE_LENGTH, HOST_LENGTH, NAME_LENGTH, SERIAL_DEVICE_LENGTH
from shop.extensions import db
from shop.models.member import Member
from shop.models.sale import Sale


class ConnectionKind(enum.StrEnum):
    NONE = "none"
    NETWORK = "network"
    USB = "usb"
    SERIAL = "serial"
    FILE = "file"
    CUPS = "cups"


class PrintMode(enum.StrEnum):
    RASTER = "raster"  # every letter drawn as an image: right on any printer
    TEXT = "text"  # the printer's own font and Vietnamese code page, where it has one


class ReceiptPath(enum.StrEnum):
    """Who sends a receipt to the printer."""

    SERVER = "server"  # the print queue on the server (the printer is on its network)
    RAWBT = "rawbt"  # the counter device, through Android's RawBT print service
    WEBUSB = "webusb"  # the counter device, to a USB printer through WebUSB (Chrome)
    BROWSER = "browser"  # the counter device's own print of the receipt page (no drawer)


class LabelLanguage(enum.StrEnum):
    """What the price-tag printer speaks."""

    NONE = "none"  # no label printer: tags on the A4 sheet
    ESCPOS = "escpos"  # the receipt printer's roll, ESC/POS, cut apart
    TSPL = "tspl"  # a roll label printer (Xprinter XP-365B/350B/420B and the like)


class PrinterSettings(db.Model):
    """One row (id 1): where the receipt printer is and how it prints."""

    __tablename__ = "printer_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("paper_mm IN (58, 80)", name="paper_width"),
        CheckConstraint("drawer_pin IN (0, 2, 5)", name="drawer_pin"),
        CheckConstraint("port BETWEEN 1 AND 65535", name="port_range"),
        CheckConstraint(
            "usb_vendor_id IS NULL OR usb_vendor_id BETWEEN 0 AND 65535", name="usb_vendor"
        ),
        CheckConstraint(
            "usb_product_id IS NULL OR usb_product_id BETWEEN 0 AND 65535", name="usb_product"
        ),
        CheckConstraint("baudrate > 0", name="baudrate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    connection: Mapped[ConnectionKind] = mapped_column(
        string_enum(ConnectionKind, "printer_connection"), default=ConnectionKind.NONE
    )
    host: Mapped[str] = mapped_column(String(HOST_LENGTH), default="")
    port: Mapped[int] = mapped_column(default=9100)
    usb_vendor_id: Mapped[int | None]
    usb_product_id: Mapped[int | None]
    serial_device: Mapped[str] = mapped_column(String(SERIAL_DEVICE_LENGTH), default="")
    baudrate: Mapped[int] = mapped_column(default=9600)
    path: Mapped[str] = mapped_column(String(DEVICE_LENGTH), default="")
    cups_queue: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    paper_mm: Mapped[int] = mapped_column(default=58)
    profile: Mapped[str] = mapped_column(String(60), default="default")
    mode: Mapped[PrintMode] = mapped_column(
        string_enum(PrintMode, "print_mode"), default=PrintMode.RASTER
    )
    #: 0: no cash drawer; 2 or 5: the drawer's connector pin on the printer.
    drawer_pin: Mapped[int] = mapped_column(default=0)
    #: Print a receipt for every sale by itself (off: only when she taps "print").
    auto_receipt: Mapped[bool] = mapped_column(default=True)
    #: Who sends receipts to the printer: the server's queue, or the counter device.
    receipt_path: Mapped[ReceiptPath] = mapped_column(
        string_enum(ReceiptPath, "receipt_path"), default=ReceiptPath.SERVER,
        server_default=ReceiptPath.SERVER.value,
    )  # fmt: skip
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))


class LabelPrinterSettings(db.Model):
    """One row (id 1): the price-tag printer, if the shop has one besides the receipt
    printer: what it speaks, where it is, and its roll (sizes in millimetres; a TSPL
    printer prints at 203 dpi, 8 dots a millimetre)."""

    __tablename__ = "label_printer_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("port BETWEEN 1 AND 65535", name="port_range"),
        CheckConstraint(
            "usb_vendor_id IS NULL OR usb_vendor_id BETWEEN 0 AND 65535", name="usb_vendor"
        ),
        CheckConstraint(
            "usb_product_id IS NULL OR usb_product_id BETWEEN 0 AND 65535", name="usb_product"
        ),
        CheckConstraint("width_mm BETWEEN 20 AND 110", name="width_range"),
        CheckConstraint("height_mm BETWEEN 10 AND 150", name="height_range"),
        CheckConstraint("columns IN (1, 2, 3)", name="columns_range"),
        CheckConstraint("gap_mm BETWEEN 0 AND 10", name="gap_range"),
        CheckConstraint("density BETWEEN 0 AND 15", name="density_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    language: Mapped[LabelLanguage] = mapped_column(
        string_enum(LabelLanguage, "label_language"), default=LabelLanguage.NONE
    )
    connection: Mapped[ConnectionKind] = mapped_column(
        string_enum(ConnectionKind, "label_connection"), default=ConnectionKind.NONE
    )
    host: Mapped[str] = mapped_column(String(HOST_LENGTH), default="")
    port: Mapped[int] = mapped_column(default=9100)
    usb_vendor_id: Mapped[int | None]
    usb_product_id: Mapped[int | None]
    path: Mapped[str] = mapped_column(String(DEVICE_LENGTH), default="")
    #: One label's size, and how many labels lie across the roll (35×22 mm rolls: two).
    width_mm: Mapped[int] = mapped_column(default=40)
    height_mm: Mapped[int] = mapped_column(default=30)
    columns: Mapped[int] = mapped_column(default=1)
    gap_mm: Mapped[int] = mapped_column(default=2)
    density: Mapped[int] = mapped_column(default=8)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))


class JobKind(enum.StrEnum):
    RECEIPT = "receipt"
    REFUND = "refund"
    VOID = "void"
    Z_REPORT = "z_report"
    LABELS = "labels"
    TEST = "test"
    DRAWER = "drawer"  # only opens the cash drawer (a cash sale when receipts are off)


class JobStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its (next) try
    SENDING = "sending"  # claimed by a worker right now
    PRINTED = "printed"
    FAILED = "failed"  # tried until it made no sense any more: reprint by hand


class PrintJob(db.Model):
    """Something owed to the printer: what to print, and where the job stands."""

    __tablename__ = "print_job"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_print_job_due", "status", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(string_enum(JobKind, "print_job_kind"))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sale.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"))
    #: Item codes for labels, space-separated (a code once per copy).
    codes: Mapped[str] = mapped_column(Text, default="")
    #: Labels only: sent to the label printer (TSPL or ESC/POS as its settings say) rather
    #: than the receipt printer.
    to_label_printer: Mapped[bool] = mapped_column(default=False, server_default=false())
    open_drawer: Mapped[bool] = mapped_column(default=False)
    reprint: Mapped[bool] = mapped_column(default=False)
    status: Mapped[JobStatus] = mapped_column(
        string_enum(JobStatus, "print_job_status"), default=JobStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_reason: Mapped[str] = mapped_column(String(20), default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))

    by: Mapped[Member | None] = relationship()
    sale: Mapped[Sale | None] = relationship()
    attempt_log: Mapped[list[PrintAttempt]] = relationship(
        back_populates="job", order_by="PrintAttempt.id"
    )


class PrintAttempt(db.Model):
    """One try at sending a job: when, how it ended, and why not (never changed afterwards)."""

    __tablename__ = "print_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("print_job.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    ok: Mapped[bool]
    #: "" when printed; else refused, timeout, unreachable, broken, render, settings
    reason: Mapped[str] = mapped_column(String(20), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")
    size_bytes: Mapped[int] = mapped_column(default=0)
    milliseconds: Mapped[int] = mapped_column(default=0)
    connection: Mapped[str] = mapped_column(String(16), default="")

    job: Mapped[PrintJob] = relationship(back_populates="attempt_log")
