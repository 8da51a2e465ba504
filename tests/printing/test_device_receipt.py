"""Receipts the counter device prints itself: the path setting, the sale's ESC/POS bytes
from the API (the very bytes the queue would send), and no receipt job on the server's
queue for a sale when the device prints it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import JobKind, PrinterSettings, PrintJob, ReceiptPath, Sale
from shop.printing.slips import job_bytes
from shop.services import printing as printing_service
from tests.conftest import sign_in
from tests.factories import varied_sale_bodies
from tests.printing.escpos_decoder import decode
from tests.views.conftest import stocked  # noqa: F401  (the fixture)
from tests.views.test_printer import jobs, sell, set_printer

pytestmark = pytest.mark.usefixtures("stocked")  # items A, B, C and a lot of socks


@pytest.fixture
def boss(app, coordinator):
    phone = app.test_client()
    assert sign_in(phone, "0912000001").status_code == 303
    return phone


def queue_bytes(app, number: int, *, open_drawer: bool) -> bytes:
    """What a receipt job of the queue sends for sale ``number`` under today's settings."""
    with app.test_request_context():
        sale = db.session.scalar(select(Sale).where(Sale.number == number))
        settings = printing_service.printer_settings(db.session)
        job = PrintJob(kind=JobKind.RECEIPT, sale_id=sale.id, open_drawer=open_drawer)
        return job_bytes(db.session, job, settings, open_drawer=open_drawer)


def test_the_api_gives_the_bytes_the_queue_would_send(boss, as_member, app):
    set_printer(boss, drawer_pin="2", paper_mm="80", receipt_path="rawbt")
    number = sell(as_member, "A", "B")
    plain = as_member.get(f"/api/v1/sales/{number}/receipt.bin")
    assert plain.status_code == 200 and plain.mimetype == "application/octet-stream"
    assert plain.headers["Cache-Control"] == "no-store"
    assert plain.data == queue_bytes(app, number, open_drawer=False)
    kicked = as_member.get(f"/api/v1/sales/{number}/receipt.bin?drawer=1")
    assert kicked.data == queue_bytes(app, number, open_drawer=True)
    assert kicked.data != plain.data
    events = decode(kicked.data)
    images = [event[1] for event in events if event[0] == "image"]
    assert images and all(image.width == 576 for image in images)  # 80 mm paper
    assert ("cashdraw", 2) in events and ("cashdraw", 2) not in decode(plain.data)
    assert events[-1] == ("cut",)


def test_no_drawer_kick_when_none_is_wired(boss, as_member, app):
    set_printer(boss, drawer_pin="0", receipt_path="webusb")
    number = sell(as_member, "A")
    kicked = as_member.get(f"/api/v1/sales/{number}/receipt.bin?drawer=1").data
    assert not [event for event in decode(kicked) if event[0] == "cashdraw"]
    assert kicked == queue_bytes(app, number, open_drawer=False)


def test_unknown_sale_and_no_sign_in(as_member, app, client):
    number = sell(as_member, "A")
    missing = as_member.get("/api/v1/sales/999/receipt.bin")
    assert missing.status_code == 404 and missing.is_json
    stranger = app.test_client()
    refused = stranger.get(f"/api/v1/sales/{number}/receipt.bin")
    assert refused.status_code == 401 and refused.is_json


@pytest.mark.parametrize("path", ["rawbt", "webusb", "browser"])
def test_a_device_path_queues_no_receipt_for_a_sale(boss, as_member, app, path):
    set_printer(boss, receipt_path=path)  # a network printer is set up all the same
    sell(as_member, "A")
    sell(as_member, "B", method="transfer", tendered="", client_id="s2")
    assert jobs(app) == []  # neither receipts nor the drawer: the device prints them


def test_the_server_path_still_queues_the_receipt(boss, as_member, app):
    set_printer(boss, receipt_path="server")
    sell(as_member, "A")
    (job,) = jobs(app)
    assert job.kind == JobKind.RECEIPT and job.open_drawer


def test_the_settings_page_offers_the_paths_and_keeps_the_choice(boss, app):
    page = boss.get("/printer/").text
    assert "Ai gửi hóa đơn tới máy in" in page
    for words in ("RawBT", "cáp USB", "không mở được ngăn kéo tiền"):
        assert words in page
    set_printer(boss, receipt_path="browser")
    with app.app_context():
        assert db.session.get(PrinterSettings, 1).receipt_path == ReceiptPath.BROWSER
    chosen = re.search(r'<option[^>]*value="browser"[^>]*>', boss.get("/printer/").text)[0]
    assert "selected" in chosen
    # A form posted without the choice (an older page) leaves it as it was.
    set_printer(boss)
    with app.app_context():
        assert db.session.get(PrinterSettings, 1).receipt_path == ReceiptPath.BROWSER
    bad = boss.post("/printer/", data={"receipt_path": "fax", "connection": "none"})
    assert bad.status_code == 422
    assert "Hãy chọn một trong các mục." in bad.text


@pytest.mark.parametrize(
    ("path", "pin", "expected"),
    [("rawbt", "2", 2), ("webusb", "5", 5), ("browser", "2", 0), ("server", "2", 0)],
)
def test_the_counter_knows_its_path_and_whether_it_opens_the_drawer(
    boss, as_member, app, path, pin, expected
):
    import json

    set_printer(boss, receipt_path=path, drawer_pin=pin)
    as_member.post("/counter/shift/open", data={"opening_float_dong": "200k"})
    page = as_member.get("/counter/").text
    config = json.loads(re.search(r'id="counter-config">(.*?)</script>', page, re.S)[1])
    printer = config["printer"]
    assert printer["path"] == path and printer["width_px"] == 384 and printer["cutter"]
    if path != "server":
        assert printer["drawer_pin"] == expected
    assert printer["labels"]["total"] == "Tổng cộng"
    assert printer["shop_name"] and printer["fonts"]["regular"].endswith("DejaVuSans.ttf")


def test_a_receipt_job_reads_the_sale_as_the_sales_own_receipt(boss, as_member, app):
    """A receipt job reads its sale in one statement of rows, not the ORM's objects: the
    receipt is the very one made of the sale itself (lines in their order with their items'
    codes and categories, discounts, the cashier, the shop's head and footer, the VietQR
    while a transfer is awaited, the void: who and why)."""
    from shop.models import ShopProfile
    from shop.printing import slips

    set_printer(boss, paper_mm="80")
    with app.app_context():
        profile = db.session.get(ShopProfile, 1)
        profile.address, profile.receipt_footer = "12 Phố Huế", "Cảm ơn chị!\nĐổi trong 3 ngày."
        db.session.commit()
    as_member.get("/counter/")
    as_member.post("/counter/shift/open", data={"opening_float_dong": "200k"})
    bodies = varied_sale_bodies("phone-1-02")
    numbers = []
    for body in bodies:
        sold = as_member.post("/api/v1/sales", json=body)
        assert sold.status_code == 201, sold.json
        numbers.append(sold.json["number"])
    voided = as_member.post(f"/api/v1/sales/{numbers[2]}/void", json={"reason": "bấm nhầm"})
    assert voided.status_code == 200, voided.json
    with app.test_request_context():
        for number in numbers:
            sale = db.session.scalar(select(Sale).where(Sale.number == number))
            read = slips._sale_with_lines(db.session, sale.id)
            assert read.status is sale.status and read.change_dong == sale.change_dong
            job = slips.receipt_for_sale(db.session, read, head=read.head)
            assert job == slips.receipt_for_sale(db.session, sale)
            db.session.rollback()
        receipts = [
            slips.receipt_for_sale(
                db.session, db.session.scalar(select(Sale).where(Sale.number == number))
            )
            for number in numbers
        ]
    assert [len(receipt.lines) for receipt in receipts] == [3, 1, 1]
    assert receipts[0].lines[0].discount_reason == "vết bẩn" and receipts[0].footer
    assert receipts[1].vietqr_payload and receipts[2].extra_rows[-1][1] == "bấm nhầm"
    assert receipts[0].shop_address == "12 Phố Huế"
