"""The receipt printer from the counter's side: settings, the queue, faults and reprints.

No hardware: a file stands for a USB printer's device (every job appended), and a fake
network printer on 127.0.0.1 accepts, refuses, stalls or hangs up. Whatever the printer
does, the sale is recorded whole before anything is sent.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import stat
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import zxingcpp
from sqlalchemy import func, select, text

from shop.extensions import db
from shop.models import (
    ConnectionKind,
    JobKind,
    JobStatus,
    PrintAttempt,
    PrintJob,
    Sale,
    SaleLine,
)
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
    """The printer is a file in instance/printer-out (as a USB printer's /dev/usb/lp0 would
    be); the folder is made by the first job."""
    path = Path(app.instance_path) / "printer-out" / "lp0"
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
        "/printer/", data={**NETWORK, "connection": "file", "path": "/etc/passwd"}
    )
    assert elsewhere.status_code == 422 and "thư mục printer-out" in elsewhere.text
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


def _drawing_watched(monkeypatch) -> list[bool]:
    """Whether a transaction was open, each time a receipt is drawn from now on."""
    from shop.printing import escpos_out

    drawn_in_transaction: list[bool] = []
    original = escpos_out.receipt_bytes

    def receipt_bytes(*args, **kwargs):
        drawn_in_transaction.append(db.session().in_transaction())
        return original(*args, **kwargs)

    monkeypatch.setattr(escpos_out, "receipt_bytes", receipt_bytes)
    return drawn_in_transaction


@contextmanager
def _listening(engine, **listeners):
    """``engine``'s events (by name) heard by ``listeners`` inside the block."""
    from sqlalchemy import event

    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)


def test_a_receipt_is_read_in_the_claims_transaction_and_drawn_with_none_open(
    as_member, app, stocked, spool, monkeypatch
):
    """The queue claims a job and reads what its slip shows in one transaction, draws and
    sends it with no transaction open (no lock held while drawing), and logs the try in
    one more; on SQLite a look without the write lock comes first."""
    number = sell(as_member, "A", "B")
    drawn_in_transaction = _drawing_watched(monkeypatch)
    with app.app_context():
        begun = []
        with _listening(db.engine, begin=lambda *_args: begun.append(1)):
            assert queue.run_due(db.session) == 1
    assert drawn_in_transaction == [False]
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert len(begun) == (2 if postgresql else 3)
    (job,) = jobs(app)
    assert job.status == JobStatus.PRINTED and job.attempts == 1
    assert job.sale_id is not None and spool.stat().st_size > 0
    sale_is_whole(app, number, 2)


def test_a_queue_woken_by_its_job_claims_without_looking_first(
    as_member, app, stocked, spool, monkeypatch
):
    """Woken by the commit of a job, the queue picks the due jobs inside its claim (one
    transaction fewer on SQLite than a poll, which looks first without the write lock):
    the receipt prints all the same, drawn with no transaction open; a job not yet due
    (a retry waiting) is not taken, and a second woken claim finds nothing left."""
    from shop.domain.calendar import utc_now

    number = sell(as_member, "A", "B")
    drawn_in_transaction = _drawing_watched(monkeypatch)
    with app.app_context():
        waiting = PrintJob(kind=JobKind.DRAWER, next_try_at=utc_now() + timedelta(minutes=1))
        db.session.add(waiting)
        db.session.commit()
        begun, statements = [], []
        with _listening(
            db.engine,
            begin=lambda *_args: begun.append(1),
            before_cursor_execute=lambda *args: statements.append(args[2]),
        ):
            assert queue.run_due(db.session, look=False) == 1
        assert queue.run_due(db.session, look=False) == 0
    assert drawn_in_transaction == [False]
    assert len(begun) == 2
    assert not [sql for sql in statements if sql.lstrip().upper().startswith("SELECT PRINT_JOB.ID")]
    receipt, later = jobs(app)
    assert receipt.status == JobStatus.PRINTED and receipt.attempts == 1
    assert later.status == JobStatus.QUEUED and later.attempts == 0
    assert spool.stat().st_size > 0
    sale_is_whole(app, number, 2)


def test_the_print_thread_claims_without_looking_only_when_woken(app, monkeypatch):
    """The thread's first round and its polls look for due jobs first; a round woken by
    the commit of a job claims at once, and goes on looking once it has tried one."""
    calls = []
    tried = iter([0, 1, 0])
    here = threading.get_ident()  # run() is called in this thread, not started as one

    def run_due(_session, *, beat=None, look=True):
        if threading.get_ident() != here:
            return 0  # another test's print thread still running in this process
        calls.append(look)
        if len(calls) == 3:
            worker.stopping.set()
        return next(tried)

    monkeypatch.setattr(queue, "run_due", run_due)
    worker = queue.Worker(app)
    worker.wakeup.set()  # a job's commit woke it while its first round ran
    worker.run()
    assert calls == [True, False, True]


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


# --- what a file printer may be -------------------------------------------------------------
#
# Each job opens the printer's file in the web process. Opening and closing the live SQLite
# database there drops the process's POSIX locks (and so lost acknowledged sales); a block
# device or the instance folder's own files are overwritten. A file printer is only a
# printer's character device or a file in instance/printer-out, checked when the settings
# are saved and again when a job opens the path.


def _database_file(app) -> Path | None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def _secret_key(app) -> Path:
    key = Path(app.instance_path) / "secret_key"
    if not key.exists():
        key.write_text("0123456789abcdef" * 4)
    return key


def _block_device() -> str | None:
    for name in ("vda", "sda", "nvme0n1", "xvda", "loop0", "ram0"):
        path = f"/dev/{name}"
        if os.path.exists(path) and stat.S_ISBLK(os.lstat(path).st_mode):
            return path
    return None


def _unsafe_path(app, case: str) -> str:
    """The path typed for ``case``, made on disk where it needs to be."""
    instance = Path(app.instance_path)
    out = instance / "printer-out"
    database = _database_file(app)
    if (case.startswith("database") or case == "symlink-to-database") and database is None:
        pytest.skip("the database is a file only on SQLite")
    if case == "database":
        return str(database)
    if case in ("database-wal", "database-shm", "database-journal"):
        return str(database) + "-" + case.removeprefix("database-")
    if case == "secret-key":
        return str(_secret_key(app))
    if case == "symlink-to-database":
        out.mkdir(exist_ok=True)
        (out / "lp0").symlink_to(database)
        return str(out / "lp0")
    if case == "symlink-to-key":
        out.mkdir(exist_ok=True)
        (out / "lp0").symlink_to(_secret_key(app))
        return "printer-out/lp0"
    if case == "printer-out-is-a-symlink":
        (instance / "elsewhere").mkdir()
        out.symlink_to(instance / "elsewhere", target_is_directory=True)
        return "printer-out/lp0"
    if case == "hard-link-to-key":
        out.mkdir(exist_ok=True)
        os.link(_secret_key(app), out / "copy")
        return "printer-out/copy"
    if case == "dotdot":
        return "printer-out/../secret_key"
    if case == "absolute-dotdot":
        return str(out) + "/../shop.sqlite3"
    if case == "instance-folder":
        return str(instance / "lp0")  # where the spool used to be
    if case == "subfolder":
        (out / "sub").mkdir(parents=True)
        return "printer-out/sub/lp0"
    if case == "fifo":
        out.mkdir(exist_ok=True)
        os.mkfifo(out / "pipe")
        return "printer-out/pipe"
    if case == "folder":
        out.mkdir(exist_ok=True)
        return "printer-out/"
    if case == "block-device":
        device = _block_device()
        if device is None:
            pytest.skip("no block device under /dev on this machine")
        return device
    return {
        "dev-null": "/dev/null",
        "dev-zero": "/dev/zero",
        "terminal": "/dev/tty",
        "elsewhere": "/srv/receipts.bin",
        "disk-name": "/dev/nvme9n9",
        "stdout-link": "/dev/stdout",
    }[case]


NOT_A_PRINTER = "Đây không phải máy in."
REFUSED_PATHS = {
    "database": "Đây là tệp của chính cửa hàng",
    "database-wal": "Đây là tệp của chính cửa hàng",
    "database-shm": "Đây là tệp của chính cửa hàng",
    "database-journal": "Đây là tệp của chính cửa hàng",
    "secret-key": "Đây là tệp của chính cửa hàng",
    "symlink-to-database": "Đây là tệp của chính cửa hàng",
    "symlink-to-key": "Đây là tệp của chính cửa hàng",
    "printer-out-is-a-symlink": "lối tắt",
    "hard-link-to-key": "Đây là tệp của chính cửa hàng",
    "dotdot": "“..”",
    "absolute-dotdot": "“..”",
    "instance-folder": "thư mục printer-out",
    "subfolder": "thư mục printer-out",
    "fifo": "không phải tệp bình thường",
    "folder": "thư mục printer-out",
    "block-device": "ổ đĩa",
    "dev-null": NOT_A_PRINTER,
    "dev-zero": NOT_A_PRINTER,
    "terminal": NOT_A_PRINTER,
    "elsewhere": "thư mục printer-out",
    "disk-name": NOT_A_PRINTER,
    "stdout-link": "lối tắt",
}


def refused_beside(response, field: str, typed: str) -> str:
    """The message beside ``field`` on a 422 page that kept what was typed in it."""
    assert response.status_code == 422, response.text[:300]
    message = re.search(rf'id="{field}-error"[^>]*>.*?<span>(.*?)</span>', response.text, re.S)
    assert message, f"no message beside {field}"
    assert re.search(rf'<input[^>]*name="{field}"[^>]*value="{re.escape(typed)}"', response.text)
    return message.group(1)


def printer_kind(app) -> ConnectionKind:
    with app.app_context():
        return printing_service.printer_settings(db.session).connection


@pytest.mark.parametrize("case", sorted(REFUSED_PATHS))
def test_a_file_printer_is_never_the_shops_own_files_a_disk_or_a_link(as_coordinator, app, case):
    typed = _unsafe_path(app, case)
    before = {p: p.read_bytes() for p in Path(app.instance_path).glob("secret_key")}
    response = as_coordinator.post(
        "/printer/", data={**NETWORK, "connection": "file", "path": typed}
    )
    assert REFUSED_PATHS[case] in refused_beside(response, "path", typed)
    assert printer_kind(app) == ConnectionKind.NONE  # nothing saved
    assert {p: p.read_bytes() for p in before} == before


NOT_SERIAL = "không phải cổng nối tiếp"


@pytest.mark.parametrize(
    "case, expected",
    [
        ("database", REFUSED_PATHS["database"]),
        ("secret-key", REFUSED_PATHS["secret-key"]),
        ("symlink-to-key", REFUSED_PATHS["symlink-to-key"]),
        ("block-device", "ổ đĩa"),
        ("instance-folder", NOT_SERIAL),
        ("dev-null", NOT_SERIAL),
        ("stdout-link", "lối tắt"),
        ("printer-device", NOT_SERIAL),
    ],
    ids=lambda value: value if value.isascii() else "",
)
def test_a_serial_port_is_only_a_serial_tty(as_coordinator, app, case, expected):
    """The serial connection opens its device in the web process too: the same rule, with
    serial ports only."""
    typed = "/dev/usb/lp0" if case == "printer-device" else _unsafe_path(app, case)
    response = as_coordinator.post(
        "/printer/", data={**NETWORK, "connection": "serial", "serial_device": typed}
    )
    assert expected in refused_beside(response, "serial_device", typed)
    assert printer_kind(app) == ConnectionKind.NONE


@pytest.mark.parametrize(
    "typed", ["printer-out/receipts.bin", "{instance}/printer-out/receipts.bin"]
)
def test_a_file_in_printer_out_takes_the_test_page(as_coordinator, app, typed):
    set_printer(as_coordinator, connection="file", path=typed.format(instance=app.instance_path))
    done = as_coordinator.post("/printer/test", follow_redirects=True)
    assert "Đã gửi trang in thử đến máy in." in done.text
    written = Path(app.instance_path) / "printer-out" / "receipts.bin"
    assert [event[0] for event in decode(written.read_bytes())] == ["image", "cut"]
    assert os.lstat(written).st_nlink == 1 and stat.S_ISREG(os.lstat(written).st_mode)


def test_a_printer_device_is_accepted_and_an_unplugged_one_is_never_made(as_coordinator, app):
    """/dev/usb/lp0 with the printer unplugged: saved, "cannot be found", no file made."""
    if os.path.exists("/dev/usb/lp0"):
        pytest.skip("a real printer is plugged in here: not printing on it")
    set_printer(as_coordinator, connection="file", path="/dev/usb/lp0")
    failed = as_coordinator.post("/printer/test", follow_redirects=True)
    assert "Chưa in được: Không tìm thấy máy in" in failed.text
    assert not os.path.exists("/dev/usb/lp0")
    for serial in ("/dev/ttyS0", "/dev/ttyUSB0", "/dev/ttyACM0"):
        if os.path.exists(serial) and stat.S_ISCHR(os.lstat(serial).st_mode):
            # Saved only (nothing sent): a real serial port, so a printer's name.
            set_printer(as_coordinator, connection="file", path=serial)
            set_printer(as_coordinator, connection="serial", serial_device=serial)
            break


def _old_settings(app, **values) -> None:
    """Printer settings written straight into the database, as a release that did not
    check them would have left them."""
    with app.app_context():
        settings = printing_service.printer_settings(db.session)
        for name, value in values.items():
            setattr(settings, name, value)
        db.session.add(settings)
        db.session.commit()


def _hold_lock(path: Path):
    """A POSIX lock on the first byte of ``path``, held by this process (as SQLite holds
    its own on the database); dropped if this process opens and closes the file anywhere."""
    handle = open(path, "r+b")  # noqa: SIM115 - kept open for the test's length
    fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
    return handle


def _still_locked(path: Path) -> bool:
    """Whether another process is refused the lock that :func:`_hold_lock` took."""
    probe = (
        "import fcntl, sys\n"
        "handle = open(sys.argv[1], 'r+b')\n"
        "try:\n"
        "    fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)\n"
        "except OSError:\n"
        "    sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(path)], timeout=30, check=False)  # noqa: S603
    assert done.returncode in (0, 3), done
    return done.returncode == 3


UNSAFE_REASON = "Không được in vào thiết bị hoặc tệp này"


@pytest.mark.parametrize("target", ["database", "secret_key"])
@pytest.mark.parametrize("kind", ["file", "serial"])
def test_a_job_never_opens_a_path_saved_before_the_check(
    boss, as_member, app, stocked, caplog, target, kind
):
    """Old settings name the live database (or the secret key): the receipt's job fails at
    once with its reason logged, the file is never opened (this process keeps its locks on
    it), nothing is written and the sale stands."""
    if target == "database":
        path = _database_file(app)
        if path is None:
            pytest.skip("the database is a file only on SQLite")
    else:
        path = _secret_key(app)
    field = "path" if kind == "file" else "serial_device"
    _old_settings(app, connection=ConnectionKind(kind), **{field: str(path)})
    number = sell(as_member, "A", "C")
    before = path.read_bytes() if target == "secret_key" else None
    lock = _hold_lock(path)  # from here on, this process must not open the file at all
    try:
        with caplog.at_level(logging.WARNING, logger="shop.printing.queue"):
            assert run_queue(app) == 1
        assert _still_locked(path), "the job opened the file: its POSIX locks were dropped"
    finally:
        lock.close()
    (job,) = jobs(app)
    assert job.status == JobStatus.FAILED and job.attempts == 1 and job.last_reason == "unsafe"
    assert run_queue(app, minutes=1) == 0  # not tried again
    assert any("unsafe" in r.getMessage() and str(path) in r.getMessage() for r in caplog.records)
    if before is not None:
        assert path.read_bytes() == before
    else:
        assert b"\x1b@" not in path.read_bytes()  # no ESC @ (a job's first bytes) in it
        with app.app_context():
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    sale_is_whole(app, number, 2)
    sale_page = as_member.get(f"/counter/sales/{number}")
    assert "Hóa đơn chưa in được." in sale_page.text and UNSAFE_REASON in sale_page.text


def test_a_spool_that_became_a_symlink_is_not_written(as_coordinator, app):
    """Saved when it was a plain file; replaced by a link to another file afterwards (not
    one of the shop's own: the link itself is refused)."""
    set_printer(as_coordinator, connection="file", path="printer-out/lp0")
    assert as_coordinator.post("/printer/test").status_code == 303
    spool = Path(app.instance_path) / "printer-out" / "lp0"
    assert decode(spool.read_bytes())
    other = Path(app.instance_path) / "notes.txt"
    other.write_text("not for the printer")
    spool.unlink()
    spool.symlink_to(other)
    lock = _hold_lock(other)
    try:
        failed = as_coordinator.post("/printer/test", follow_redirects=True)
        assert _still_locked(other)
    finally:
        lock.close()
    assert f"Chưa in được: {UNSAFE_REASON}" in failed.text
    assert other.read_text() == "not for the printer"
    with app.app_context():
        attempt = db.session.scalars(select(PrintAttempt).order_by(PrintAttempt.id.desc())).first()
        assert attempt.reason == "unsafe" and "symbolic link" in attempt.detail


@pytest.mark.parametrize("field", ["path", "serial_device"])
@pytest.mark.parametrize(
    "typed", ["printer-out/" + "x" * 280, "/dev/" + "y" * 290, "x/" * 99, "/" + "z" * 299]
)
def test_odd_paths_are_refused_beside_the_field_never_a_500(as_coordinator, app, field, typed):
    connection = "file" if field == "path" else "serial"
    response = as_coordinator.post(
        "/printer/", data={**NETWORK, "connection": connection, field: typed}
    )
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert printer_kind(app) == ConnectionKind.NONE


def test_the_printer_page_speaks_plainly(as_coordinator):
    """No bare technical name on the printer page: each comes after plain words saying what
    it is (a member sets the printer up, not a technician)."""
    import html as html_lib

    page = as_coordinator.get("/printer/").text
    words = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "python-escpos" not in words
    assert "Máy in nhỏ ở quầy, in hóa đơn trên cuộn giấy." in words
    assert "Qua danh sách máy in của máy tính (hàng đợi CUPS)" in words
    assert "Cắm vào máy chủ của cửa hàng (theo tên thiết bị, ví dụ /dev/usb/lp0)" in words
    assert "Bốn chữ và số chỉ hãng làm máy in." in words
    for term in ("CUPS", "/dev/usb/lp0"):  # each time inside a sentence that explains it
        for found in re.finditer(re.escape(term), words):
            around = words[max(0, found.start() - 60) : found.start()]
            assert re.search(r"(máy in|máy tính|máy chủ|thiết bị)", around), around
