"""The receipt printer from the counter's side: settings, the queue, faults and reprints.

No hardware: a file stands for a USB printer's device (every job appended), and a fake
network printer on 127.0.0.1 accepts, refuses, stalls or hangs up. Whatever the printer
does, the sale is recorded whole before anything is sent.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
import zxingcpp
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import JobKind, JobStatus, PrintAttempt, PrintJob, Sale, SaleLine
from shop.printing import queue
from shop.services import printing as printing_service
from tests.conftest import sign_in
from tests.printing.escpos_decoder import decode
from tests.printing.fake_printer import FakePrinter, free_port
from tests.printing.test_receipt import save, stitched

NETWORK = {
    "connection": "network",
    "port": "9100",
    "paper_mm": "58",
    "profile": "default",
    "mode": "raster",
    "drawer_pin": "2",
    "auto_receipt": "y",
}


def set_printer(client, **changes) -> None:
    form = {**NETWORK, "host": "127.0.0.1", **changes}
    response = client.post("/printer/", data=form)
    assert response.status_code == 303, response.text


@pytest.fixture
def boss(app, coordinator):
    """The coordinator on a phone of her own, beside the cashier's client."""
    phone = app.test_client()
    assert sign_in(phone, "0912000001").status_code == 303
    return phone


@pytest.fixture
def spool(app, boss) -> Path:
    """The printer is a file (as a USB printer's /dev/usb/lp0 would be)."""
    path = Path(app.instance_path) / "lp0"
    set_printer(boss, connection="file", path=str(path))
    return path


def run_queue(app, **later) -> int:
    from shop.domain.calendar import utc_now

    with app.app_context():
        now = utc_now() + timedelta(**later) if later else None
        return queue.run_due(db.session, now=now)


def jobs(app) -> list[PrintJob]:
    with app.app_context():
        found = db.session.scalars(select(PrintJob).order_by(PrintJob.id)).all()
        for job in found:
            db.session.expunge(job)
        return found


def sell(client, *codes, method="cash", tendered="500k", client_id="s1") -> int:
    if "Mở ca bán" in client.get("/counter/").text:
        client.post("/counter/shift/open", data={"opening_float_dong": "200k"})
    for code in codes:
        client.post("/counter/add", data={"code": code})
    paid = client.post(
        "/counter/pay", data={"method": method, "tendered_dong": tendered, "client_id": client_id}
    )
    assert paid.status_code == 303, paid.text
    return int(paid.headers["Location"].rsplit("/", 1)[1])


def sale_is_whole(app, number: int, lines: int) -> None:
    with app.app_context():
        sale = db.session.scalar(select(Sale).where(Sale.number == number))
        assert sale is not None and sale.void is None
        count = db.session.scalar(select(func.count()).where(SaleLine.sale_id == sale.id))
        assert count == lines
        assert all(line.item.status.value == "sold" for line in sale.lines if not line.item.is_lot)


# --- settings ------------------------------------------------------------------------------


def test_only_a_coordinator_sets_the_printer(as_member):
    assert as_member.get("/printer/").status_code == 403
    assert as_member.post("/printer/", data=NETWORK).status_code == 403
    assert as_member.post("/printer/test").status_code == 403


def test_settings_page_and_its_messages_in_vietnamese(as_coordinator):
    page = as_coordinator.get("/printer/")
    assert page.status_code == 200
    assert "Máy in hóa đơn" in page.text and "Chưa có máy in" in page.text
    missing_host = as_coordinator.post("/printer/", data={**NETWORK, "host": ""})
    assert missing_host.status_code == 422
    assert "Hãy nhập địa chỉ IP hoặc tên của máy in." in missing_host.text
    bad_usb = as_coordinator.post(
        "/printer/", data={**NETWORK, "connection": "usb", "usb_vendor_id": "xyz1"}
    )
    assert bad_usb.status_code == 422 and "0416" in bad_usb.text
    elsewhere = as_coordinator.post(
        "/printer/", data={**NETWORK, "connection": "file", "path": "/etc/../tmp/x"}
    )
    assert elsewhere.status_code == 422 and "thư mục instance" in elsewhere.text
    bad_queue = as_coordinator.post(
        "/printer/", data={**NETWORK, "connection": "cups", "cups_queue": "-o evil"}
    )
    assert bad_queue.status_code == 422
    narrow = as_coordinator.post(
        "/printer/",
        data={**NETWORK, "host": "10.0.0.5", "profile": "POS-5890", "paper_mm": "80"},
    )
    assert narrow.status_code == 422 and "khổ 80 mm" in narrow.text
    unknown = as_coordinator.post("/printer/", data={**NETWORK, "profile": "nope"})
    assert unknown.status_code == 422
    set_printer(as_coordinator, host="10.0.0.5", usb_vendor_id="0x0416")
    page = as_coordinator.get("/printer/")
    assert 'value="10.0.0.5"' in page.text and "In thử" in page.text


def test_no_printer_no_jobs_and_the_sale_page_offers_the_browser(as_member, app, stocked):
    number = sell(as_member, "A")
    assert jobs(app) == []
    page = as_member.get(f"/counter/sales/{number}")
    assert "In lại hóa đơn" not in page.text and "/receipt" in page.text
    refused = as_member.post(f"/printer/sales/{number}/reprint", follow_redirects=True)
    assert "Chưa cài đặt máy in hóa đơn." in refused.text


def test_a_reprint_asked_to_go_back_off_site_goes_to_the_sale(as_member, app, stocked):
    number = sell(as_member, "A")
    answer = as_member.post(
        f"/printer/sales/{number}/reprint", data={"next": "https://evil.example/"}
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/counter/sales/{number}"


# --- the queue -----------------------------------------------------------------------------


def test_cash_sale_prints_after_commit_and_opens_the_drawer(as_member, app, stocked, spool):
    number = sell(as_member, "A", "B")
    (job,) = jobs(app)
    # Queued with the sale, nothing sent during the request.
    assert job.kind == JobKind.RECEIPT and job.status == JobStatus.QUEUED and job.open_drawer
    assert not spool.exists()
    assert run_queue(app) == 1
    (job,) = jobs(app)
    assert job.status == JobStatus.PRINTED and job.attempts == 1
    events = decode(spool.read_bytes())
    assert events[0][0] == "image" and ("cashdraw", 2) in events and events[-1] == ("cut",)
    assert run_queue(app) == 0  # printed once, never again
    page = as_member.get(f"/counter/sales/{number}")
    assert "Đã in hóa đơn." in page.text and "In lại hóa đơn" in page.text


def test_transfer_receipt_qr_scans_from_the_printer_bytes(as_member, app, stocked, spool):
    sell(as_member, "B", method="transfer", tendered="")
    run_queue(app)
    images = [event[1] for event in decode(spool.read_bytes()) if event[0] == "image"]
    assert ("cashdraw", 2) not in decode(spool.read_bytes())  # no cash, no drawer
    found = [code.text for image in images for code in zxingcpp.read_barcodes(image)]
    assert len(found) == 1 and found[0].startswith("000201")
    assert "970415" in found[0] and "113366668888" in found[0] and "120000" in found[0]


def test_pulling_the_cable_mid_sale_loses_nothing(boss, as_member, app, stocked, monkeypatch):
    """The printer is unplugged: the sale stands, the counter says so, one tap reprints."""
    monkeypatch.setattr(printing_service, "SEND_TIMEOUT_SECONDS", 0.5)
    port = free_port()
    with FakePrinter("read_all", port=port) as printer:
        set_printer(boss, port=str(port))
        number = sell(as_member, "A", "C")
        run_queue(app)
        printer.thread.join(5)
    assert decode(bytes(printer.received))[0][0] == "image"
    # The cable is out now: nothing listens on the printer's port.
    number = sell(as_member, "SOCKS", client_id="s2")
    assert run_queue(app) == 1
    sale_is_whole(app, number, 1)
    job = jobs(app)[-1]
    assert job.status == JobStatus.QUEUED and job.attempts == 1 and job.last_reason == "refused"
    counter = as_member.get("/counter/")
    assert f"Hóa đơn {number} chưa in được." in counter.text
    sale_page = as_member.get(f"/counter/sales/{number}")
    assert "Hóa đơn chưa in được." in sale_page.text and 'data-testid="reprint"' in sale_page.text
    status = as_member.get(f"/printer/sales/{number}/status").get_json()
    assert status["status"] == "queued" and status["reason"] == "refused"
    # Not due again before its delay; then still unplugged, tried again.
    assert run_queue(app) == 0
    assert run_queue(app, seconds=queue.RETRY_DELAYS[0] + 1) == 1
    # Plugged back in: one tap on the counter's banner.
    with FakePrinter("read_all", port=port) as printer:
        reprint = as_member.post(f"/printer/sales/{number}/reprint", data={"next": "/counter/"})
        assert reprint.headers["Location"] == "/counter/"
        run_queue(app)
        printer.thread.join(5)
    events = decode(bytes(printer.received))
    assert events[0][0] == "image" and ("cashdraw", 2) not in events  # a reprint stays shut
    assert f"Hóa đơn {number} chưa in được." not in as_member.get("/counter/").text
    sale_is_whole(app, number, 1)
    with app.app_context():
        attempts = db.session.scalars(select(PrintAttempt).order_by(PrintAttempt.id)).all()
        assert [a.ok for a in attempts] == [True, False, False, True]
        assert [a.reason for a in attempts] == ["", "refused", "refused", ""]


@pytest.mark.parametrize(
    "behaviour, reason", [("never_read", "timeout"), ("read_little", "broken")]
)
def test_a_stalled_or_hung_up_printer_never_undoes_the_sale(
    boss, as_member, app, stocked, monkeypatch, behaviour, reason
):
    monkeypatch.setattr(printing_service, "SEND_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(
        "shop.printing.escpos_out.receipt_bytes",
        _padded(32 * 1024 * 1024),  # more than the loopback buffers hold
    )
    with FakePrinter(behaviour, receive_buffer=4096) as printer:
        set_printer(boss, port=str(printer.port))
        number = sell(as_member, "A", "B")
        started = time.monotonic()
        assert run_queue(app) == 1
        assert time.monotonic() - started < 10
    sale_is_whole(app, number, 2)
    (job,) = jobs(app)
    assert job.status == JobStatus.QUEUED and job.last_reason == reason


def _padded(size: int):
    """receipt_bytes, with ``size`` more bytes of nothing (a job bigger than any buffer)."""
    from shop.printing.escpos_out import receipt_bytes

    def padded(*args, **kwargs):
        return receipt_bytes(*args, **kwargs) + bytes(size)

    return padded


def test_late_receipts_keep_the_drawer_shut_and_old_jobs_give_up(
    boss, as_member, app, stocked, spool, monkeypatch
):
    sell(as_member, "A")
    # The printer was away for three minutes: the receipt prints, the drawer stays shut.
    run_queue(app, minutes=3)
    assert ("cashdraw", 2) not in decode(spool.read_bytes())
    monkeypatch.setattr(printing_service, "SEND_TIMEOUT_SECONDS", 0.3)
    set_printer(boss, port=str(free_port()))
    number = sell(as_member, "C", client_id="s2")
    run_queue(app)
    run_queue(app, minutes=16)
    job = jobs(app)[-1]
    assert job.status == JobStatus.FAILED and job.attempts == 2
    assert f"Hóa đơn {number} chưa in được." in as_member.get("/counter/").text


def test_two_workers_never_print_one_job_twice(as_member, app, stocked, spool):
    sell(as_member, "A")
    from shop.domain.calendar import utc_now

    with app.app_context():
        now = utc_now()
        first = queue.claim_due(db.session, now)
        second = queue.claim_due(db.session, now)
        assert len(first) == 1 and second == []
        # A claim whose process died is taken over after a while.
        later = queue.claim_due(db.session, now + queue.STALE_CLAIM + timedelta(seconds=1))
        assert later == first


def test_refund_and_void_slips_and_the_drawer(as_member, app, stocked, spool):
    number = sell(as_member, "A", "C")
    run_queue(app)
    spool.unlink()
    as_member.post(
        f"/counter/sales/{number}/refund",
        data={
            "line": "0",
            "amount_dong": "50k",
            "quantity": "1",
            "method": "cash",
            "reason": "rách",
            "restock": "y",
        },
    )
    run_queue(app)
    events = decode(spool.read_bytes())
    assert [event[0] for event in events if event[0] != "image"] == ["cashdraw", "cut"]
    save(stitched(events), "slip-refund-58.png")
    assert jobs(app)[-1].kind == JobKind.REFUND
    spool.unlink()
    other = sell(as_member, "B", client_id="s2")
    run_queue(app)
    spool.unlink()
    as_member.post(f"/counter/sales/{other}/void", data={"reason": "bấm nhầm"})
    assert jobs(app)[-1].kind == JobKind.VOID
    run_queue(app)
    events = decode(spool.read_bytes())
    assert ("cashdraw", 2) in events
    save(stitched(events), "slip-void-58.png")


def test_receipts_off_still_opens_the_drawer_for_cash(boss, as_member, app, stocked, spool):
    set_printer(boss, connection="file", path=str(spool), auto_receipt="")
    sell(as_member, "A")
    (job,) = jobs(app)
    assert job.kind == JobKind.DRAWER
    run_queue(app)
    assert decode(spool.read_bytes()) == [("cashdraw", 2)]
    sell(as_member, "B", method="transfer", tendered="", client_id="s2")
    assert len(jobs(app)) == 1  # no cash, no receipt: nothing to print


def test_test_print_says_at_once_whether_it_printed(as_coordinator, app, spool, monkeypatch):
    done = as_coordinator.post("/printer/test", follow_redirects=True)
    assert "Đã gửi trang in thử đến máy in." in done.text
    events = decode(spool.read_bytes())
    assert [event[0] for event in events] == ["image", "cut"]
    save(stitched(events), "slip-test-58.png")
    monkeypatch.setattr(printing_service, "SEND_TIMEOUT_SECONDS", 0.3)
    set_printer(as_coordinator, port=str(free_port()))
    failed = as_coordinator.post("/printer/test", follow_redirects=True)
    assert "Chưa in được: Máy in từ chối lệnh in" in failed.text
    log = as_coordinator.get("/printer/")
    assert log.text.count("Trang in thử") == 2 and "chưa in được" in log.text


def test_labels_and_the_z_report_on_the_receipt_printer(as_member, app, stocked, spool):
    intake_page = as_member.get("/stock/A")
    assert "In nhãn trên máy in hóa đơn" in intake_page.text
    sent = as_member.post("/printer/labels", data={"codes": "A B", "next": "/stock/A"})
    assert sent.headers["Location"] == "/stock/A"
    unknown = as_member.post("/printer/labels", data={"codes": "A NOPE"}, follow_redirects=True)
    assert "Không có hàng mã NOPE." in unknown.text
    run_queue(app)
    images = [event[1] for event in decode(spool.read_bytes()) if event[0] == "image"]
    codes = [code.text for image in images for code in zxingcpp.read_barcodes(image)]
    assert codes == ["A", "B"]
    spool.unlink()
    sell(as_member, "C")
    with app.app_context():
        shift_id = db.session.scalar(select(Sale.shift_id))
    as_member.post(f"/printer/shifts/{shift_id}/report")
    run_queue(app)
    kinds = [job.kind for job in jobs(app)]
    assert kinds[-1] == JobKind.Z_REPORT
    save(stitched(decode(spool.read_bytes())), "slip-z-report-58.png")


def test_the_print_thread_sends_right_after_the_commit(as_member, app, stocked, spool):
    app.config["PRINT_WORKER"] = "thread"
    try:
        sell(as_member, "A")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and jobs(app)[0].status != JobStatus.PRINTED:
            time.sleep(0.05)
        assert jobs(app)[0].status == JobStatus.PRINTED
    finally:
        app.config["PRINT_WORKER"] = "off"
        worker = app.extensions.pop("print_worker", None)
        if worker is not None:
            worker.stop()
            worker.join(5)
    assert decode(spool.read_bytes())[0][0] == "image"
