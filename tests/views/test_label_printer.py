"""The label printer from the shop's side: its settings, label jobs through the never-lose
queue to a fake TSPL printer on 127.0.0.1, faults, reprints, lots and the command line."""

from __future__ import annotations

import time

import pytest
import zxingcpp
from sqlalchemy import select

from shop.extensions import db
from shop.models import Intake, JobStatus, PrintAttempt
from shop.printing import queue
from shop.services import printing as printing_service
from tests.printing.fake_printer import FakePrinter, free_port
from tests.printing.tspl_decoder import decode
from tests.views.test_printer import jobs, run_queue

TSPL = {
    "language": "tspl",
    "connection": "network",
    "host": "127.0.0.1",
    "port": "9100",
    "roll": "40x30",
    "width_mm": "40",
    "height_mm": "30",
    "columns": "1",
    "gap_mm": "2",
    "density": "8",
}


def set_label_printer(client, **changes) -> None:
    response = client.post("/printer/label-printer", data={**TSPL, **changes})
    assert response.status_code == 303, response.text


def scanned(data: bytes, columns: int = 1, width_mm: int = 40) -> list[str]:
    job = decode(data)
    return [
        code.text
        for label in job.labels(columns, width_mm)
        for code in zxingcpp.read_barcodes(label.convert("L"))
    ]


def test_bad_input_is_refused_beside_its_field_with_what_was_typed_kept(as_coordinator):
    page = as_coordinator.post("/printer/label-printer", data={**TSPL, "host": ""})
    assert page.status_code == 422
    assert (
        "Hãy nhập địa chỉ IP hoặc tên của máy in." in page.text
        and 'aria-invalid="true"' in page.text
    )
    custom = {**TSPL, "roll": "custom", "width_mm": "4x", "height_mm": "200"}
    page = as_coordinator.post("/printer/label-printer", data=custom)
    assert page.status_code == 422
    assert 'value="4x"' in page.text and "Ghi chiều rộng bằng mm, ví dụ 40." in page.text
    page = as_coordinator.post(
        "/printer/label-printer", data={**custom, "width_mm": "40", "height_mm": "200"}
    )
    assert page.status_code == 422 and "Tem cao từ 10 đến 150 mm." in page.text
    assert 'value="200"' in page.text
    page = as_coordinator.post(
        "/printer/label-printer",
        data={**custom, "width_mm": "50", "height_mm": "30", "columns": "3"},
    )
    assert page.status_code == 422 and "tối đa 108 mm" in page.text
    page = as_coordinator.post(
        "/printer/label-printer", data={**TSPL, "connection": "none", "port": "70000"}
    )
    assert page.status_code == 422 and "Cổng là một số từ 1 đến 65535." in page.text
    page = as_coordinator.post("/printer/label-printer", data={**TSPL, "connection": "none"})
    assert page.status_code == 422 and "Chọn cách nối máy in tem." in page.text
    page = as_coordinator.post(
        "/printer/label-printer", data={**TSPL, "connection": "file", "path": "/etc/passwd"}
    )
    assert page.status_code == 422 and 'value="/etc/passwd"' in page.text
    # Nothing was saved by any of these.
    assert "In tem thử" not in as_coordinator.get("/printer/label-printer").text


def test_only_a_coordinator_sets_the_label_printer(as_member):
    assert as_member.get("/printer/label-printer").status_code == 403
    assert as_member.post("/printer/label-printer", data=TSPL).status_code == 403


def test_the_page_speaks_vietnamese_and_the_test_label_goes_through_the_queue(as_coordinator, app):
    page = as_coordinator.get("/printer/label-printer")
    assert "Máy in tem" in page.text and "35 × 22 mm, hai tem một hàng" in page.text
    assert "Máy in tem (tem giá)" in as_coordinator.get("/printer/").text
    with FakePrinter("read_all") as printer:
        set_label_printer(as_coordinator, port=str(printer.port), roll="35x22x2")
        done = as_coordinator.post("/printer/label-printer/test", follow_redirects=True)
        assert "Đã gửi tem thử đến máy in tem." in done.text
        printer.thread.join(5)
    job = decode(bytes(printer.received))
    assert (job.width_mm, job.height_mm) == (72, 22)
    assert scanned(bytes(printer.received), 2, 35) == ["12345", "12345"]
    (test_job,) = jobs(app)
    assert test_job.to_label_printer and test_job.status == JobStatus.PRINTED
    # Unplugged: she is told at once, and the log says so.
    set_label_printer(as_coordinator, port=str(free_port()))
    failed = as_coordinator.post("/printer/label-printer/test", follow_redirects=True)
    assert "Chưa in được: Máy in từ chối lệnh in" in failed.text
    log = as_coordinator.get("/printer/label-printer").text.split('data-testid="label-log"')[1]
    assert log.count("Tem in thử") == 2 and "Trang in thử" not in log and "chưa in được" in log


def test_a_new_intake_prints_its_tags_in_one_tap_and_a_lot_as_many_as_asked(
    as_coordinator, app, stocked
):
    with app.app_context():
        ref = db.session.scalar(select(Intake.ref).order_by(Intake.id))
    intake = as_coordinator.get(f"/intake/{ref}")
    assert "In nhãn trên máy in hóa đơn" not in intake.text and "máy in tem" not in intake.text
    with FakePrinter("read_all") as printer:
        set_label_printer(as_coordinator, port=str(printer.port))
        page = as_coordinator.get(f"/intake/{ref}")
        assert "In 3 tem trên máy in tem" in page.text and 'name="copies"' in page.text
        codes = page.text.split('name="codes" value="')[1].split('"')[0]
        sent = as_coordinator.post(
            "/printer/labels", data={"codes": codes, "copies": "4", "next": f"/intake/{ref}"}
        )
        assert sent.headers["Location"] == f"/intake/{ref}"
        assert (
            "6 nhãn đang được gửi đến máy in." in as_coordinator.get(sent.headers["Location"]).text
        )
        assert run_queue(app) == 1
        printer.thread.join(5)
    data = bytes(printer.received)
    assert sorted(scanned(data)) == ["A", "C", "SOCKS", "SOCKS", "SOCKS", "SOCKS"]
    assert data.count(b"BITMAP") == 3  # the lot's four copies: one bitmap, PRINT 1,4
    bad = as_coordinator.post(
        "/printer/labels", data={"codes": codes, "copies": "nhiều"}, follow_redirects=True
    )
    assert "Số tem cho mỗi lô" in bad.text
    assert len(jobs(app)) == 1


@pytest.mark.parametrize(
    "behaviour, reason", [("off", "refused"), ("never_read", "timeout"), ("read_little", "broken")]
)
def test_no_label_is_lost_and_each_prints_once_when_the_printer_is_back(
    as_coordinator, app, stocked, monkeypatch, behaviour, reason
):
    """Off (nothing listens), stalled (takes nothing) or hanging up mid-job: the job waits,
    is tried again, and prints once when the printer is back."""
    monkeypatch.setattr(printing_service, "SEND_TIMEOUT_SECONDS", 0.3)
    port = free_port()
    set_label_printer(as_coordinator, port=str(port))
    as_coordinator.post("/printer/labels", data={"codes": "A B C"})
    if behaviour == "off":
        assert run_queue(app) == 1
    else:
        import shop.printing.tspl as tspl

        real = tspl.tspl_bytes
        monkeypatch.setattr(
            tspl, "tspl_bytes", lambda *a, **k: real(*a, **k) + bytes(32 * 1024 * 1024)
        )
        with FakePrinter(behaviour, port=port, receive_buffer=4096):
            started = time.monotonic()
            assert run_queue(app) == 1
            assert time.monotonic() - started < 10
        monkeypatch.setattr(tspl, "tspl_bytes", real)
    (job,) = jobs(app)
    assert job.status == JobStatus.QUEUED and job.last_reason == reason and job.codes == "A B C"
    assert run_queue(app) == 0  # not before its delay
    with FakePrinter("read_all", port=port) as printer:
        assert run_queue(app, seconds=queue.RETRY_DELAYS[0] + 1) == 1
        printer.thread.join(5)
    assert scanned(bytes(printer.received)) == ["A", "B", "C"]
    (job,) = jobs(app)
    assert job.status == JobStatus.PRINTED and job.attempts == 2
    assert run_queue(app, minutes=30) == 0  # printed once, never again


def test_a_job_that_gave_up_shows_not_printed_and_one_tap_prints_it_again(
    as_coordinator, app, stocked, monkeypatch
):
    monkeypatch.setattr(printing_service, "SEND_TIMEOUT_SECONDS", 0.3)
    port = free_port()
    set_label_printer(as_coordinator, port=str(port))
    as_coordinator.post("/printer/labels", data={"codes": "A"})
    run_queue(app)
    run_queue(app, minutes=16)
    (job,) = jobs(app)
    assert job.status == JobStatus.FAILED
    page = as_coordinator.get("/printer/label-printer")
    assert "chưa in được" in page.text and 'data-testid="reprint-labels"' in page.text
    with FakePrinter("read_all", port=port) as printer:
        again = as_coordinator.post(f"/printer/jobs/{job.id}/reprint", follow_redirects=True)
        assert "Đang gửi lại đến máy in." in again.text
        run_queue(app)
        printer.thread.join(5)
    assert scanned(bytes(printer.received)) == ["A"]
    first, second = jobs(app)
    assert second.reprint and second.to_label_printer and second.status == JobStatus.PRINTED
    refused = as_coordinator.post(f"/printer/jobs/{second.id}/reprint", follow_redirects=True)
    assert "Cái này đã in rồi." in refused.text
    with app.app_context():
        attempts = db.session.scalars(select(PrintAttempt).order_by(PrintAttempt.id)).all()
        assert [a.ok for a in attempts] == [False, False, True]


def test_a_label_printer_plugged_into_the_server_gets_its_tags_in_its_device_file(
    as_coordinator, app, stocked
):
    """Connected as a device on the server (/dev/usb/lp1 on a shop's server; here a file in
    instance/printer-out standing in for it): the tags go there, two across on 35×22."""
    from pathlib import Path

    device = Path(app.instance_path) / "printer-out" / "lp1"
    set_label_printer(as_coordinator, connection="file", path=str(device), roll="35x22x2")
    as_coordinator.post("/printer/labels", data={"codes": "A B C"})
    assert run_queue(app) == 1
    assert scanned(device.read_bytes(), 2, 35) == ["A", "B", "C"]
    assert b"SIZE 72 mm,22 mm\r\n" in device.read_bytes()
    (job,) = jobs(app)
    assert job.status == JobStatus.PRINTED and job.to_label_printer


def test_escpos_labels_without_a_connection_go_to_the_receipt_printer(as_coordinator, app, stocked):
    from tests.printing.escpos_decoder import decode as decode_escpos

    with FakePrinter("read_all") as printer:
        as_coordinator.post(
            "/printer/",
            data={"connection": "network", "host": "127.0.0.1", "port": str(printer.port),
                  "paper_mm": "58", "profile": "default", "mode": "raster", "drawer_pin": "0"},
        )  # fmt: skip
        set_label_printer(as_coordinator, language="escpos", connection="none")
        as_coordinator.post("/printer/labels", data={"codes": "A"})
        run_queue(app)
        printer.thread.join(5)
    images = [e[1] for e in decode_escpos(bytes(printer.received)) if e[0] == "image"]
    assert [c.text for image in images for c in zxingcpp.read_barcodes(image)] == ["A"]
    assert jobs(app)[-1].to_label_printer


def test_the_labels_command_writes_the_exact_bytes(app, runner, stocked, tmp_path):
    target = tmp_path / "labels.bin"
    result = runner.invoke(args=["labels", "A", "A", "C", "--to", str(target), "--size", "50x30"])
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert b"SIZE 50 mm,30 mm" in data and b"PRINT 1,2\r\n" in data
    assert scanned(data, 1, 50) == ["A", "A", "C"]
    escpos = runner.invoke(args=["labels", "A", "--to", "-", "--language", "escpos"])
    assert escpos.exit_code == 0 and escpos.stdout_bytes.startswith(b"\x1b@")
    unknown = runner.invoke(args=["labels", "NOPE", "--to", str(target)])
    assert unknown.exit_code != 0 and "NOPE" in unknown.output
    bad = runner.invoke(args=["labels", "A", "--to", str(target), "--size", "40"])
    assert bad.exit_code != 0 and "--size" in bad.output
