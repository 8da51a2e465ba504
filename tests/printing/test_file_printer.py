"""What a file printer may be: the rule on real files, folders, links and devices.

The pages' side (the message beside the field, old settings, the sale kept) is in
tests/views/test_printer.py; here the rule itself, and how a job opens what it allows.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from shop.printing.file_printer import Place, UnsafePath, check, open_for_job


@pytest.fixture
def place(tmp_path) -> Place:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("k" * 64)
    (instance / "shop.sqlite3").write_bytes(b"SQLite format 3\0")
    database = str(instance / "shop.sqlite3")
    return Place(
        instance=str(instance),
        protected=(str(instance / "secret_key"), database, database + "-wal", database + "-shm"),
    )


def code_of(path: str, place: Place, **options) -> str:
    with pytest.raises(UnsafePath) as caught:
        check(path, place, **options)
    return caught.value.code


def write(path: str, place: Place, data: bytes) -> Path:
    fd, target = open_for_job(path, place)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return Path(target.path)


def test_a_file_in_printer_out_is_made_there_and_appended_to(place):
    written = write("printer-out/receipts.bin", place, b"one")
    assert written == Path(place.instance) / "printer-out" / "receipts.bin"
    write(str(written), place, b"two")
    assert written.read_bytes() == b"onetwo"
    assert stat.S_ISREG(os.lstat(written).st_mode) and os.lstat(written).st_nlink == 1


def test_the_shops_own_files_are_refused_wherever_they_are(place, tmp_path):
    instance = Path(place.instance)
    assert code_of("shop.sqlite3", place) == "protected"
    assert code_of(str(instance / "shop.sqlite3-wal"), place) == "protected"  # not there yet
    assert code_of("secret_key", place) == "protected"
    # A shop whose database was put in printer-out itself: still never written.
    (instance / "printer-out").mkdir()
    inside = instance / "printer-out" / "shop.sqlite3"
    inside.write_bytes(b"SQLite format 3\0")
    moved = Place(place.instance, (str(inside),))
    assert code_of("printer-out/shop.sqlite3", moved) == "protected"
    with pytest.raises(UnsafePath):
        open_for_job("printer-out/shop.sqlite3", moved)
    assert inside.read_bytes() == b"SQLite format 3\0"


def test_links_and_second_names_are_refused(place, tmp_path):
    out = Path(place.instance) / "printer-out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.bin"
    elsewhere.write_bytes(b"keep")
    (out / "link").symlink_to(elsewhere)
    assert code_of("printer-out/link", place) == "symlink"
    os.link(elsewhere, out / "hard")
    assert code_of("printer-out/hard", place) == "linked"
    assert code_of("printer-out/../printer-out/new", place) == "dotdot"
    assert code_of("printer-out", place) == "outside"
    assert code_of(str(tmp_path / "new.bin"), place) == "outside"
    assert code_of("printer-out/new", Place()) == "outside"  # no instance folder: devices only
    assert elsewhere.read_bytes() == b"keep"


def test_printer_out_turned_into_a_link_after_the_check_is_not_followed(place, tmp_path):
    """The folder is swapped for a link between the settings' check and the job: the job's
    own check, and its opening one folder at a time without following links, refuse it."""
    assert check("printer-out/lp0", place).kind == "file"
    target = tmp_path / "target"
    target.mkdir()
    (Path(place.instance) / "printer-out").symlink_to(target, target_is_directory=True)
    with pytest.raises(UnsafePath) as caught:
        open_for_job("printer-out/lp0", place)
    assert caught.value.code == "symlink"
    assert list(target.iterdir()) == []


def test_an_instance_folder_reached_through_a_link_is_the_shops_own_setting(place, tmp_path):
    alias = tmp_path / "alias"
    alias.symlink_to(place.instance, target_is_directory=True)
    linked = Place(str(alias), place.protected)
    written = write(str(alias / "printer-out" / "lp0"), linked, b"x")
    assert (Path(place.instance) / "printer-out" / "lp0").read_bytes() == b"x"
    assert written.name == "lp0"
    assert code_of("secret_key", linked) == "protected"


def test_devices_only_printers_and_serial_ports(place):
    assert code_of("/dev/null", place) == "not_printer"
    assert code_of("/dev/tty", place) == "not_printer"
    assert code_of("/dev/stdout", place) == "symlink"
    assert code_of("/dev/usb/lp0x", place) == "not_printer"
    # A USB printer's name, there or not (unplugged: saved, and its jobs "cannot find" it).
    assert check("/dev//usb/./lp0", place) == check("/dev/usb/lp0", place)
    assert check("/dev/usb/lp0", place).kind == "device"
    assert code_of("/dev/usb/lp0", place, serial=True) == "not_serial"
    assert code_of("printer-out/lp0", place, serial=True) == "not_serial"
    with pytest.raises(FileNotFoundError):  # an unplugged printer: nothing is made
        open_for_job("/dev/usb/lp999", place)
    assert not os.path.exists("/dev/usb/lp999")


def test_a_real_serial_port_is_a_printer_device(place):
    for name in ("/dev/ttyS0", "/dev/ttyUSB0", "/dev/ttyACM0"):
        if os.path.exists(name) and stat.S_ISCHR(os.lstat(name).st_mode):
            break
    else:
        pytest.skip("no serial port on this machine")
    assert check(name, place) == check(name, place, serial=True)
    assert check(name, place).kind == "device"  # only looked at: nothing is sent to it


def test_a_real_block_device_is_refused(place):
    for name in ("vda", "sda", "nvme0n1", "xvda", "loop0", "ram0"):
        path = f"/dev/{name}"
        if os.path.exists(path) and stat.S_ISBLK(os.lstat(path).st_mode):
            break
    else:
        pytest.skip("no block device under /dev on this machine")
    assert code_of(path, place) == "block_device"
    assert code_of(path, place, serial=True) == "block_device"
    with pytest.raises(UnsafePath):
        open_for_job(path, place)


def test_odd_paths_are_refused(place):
    assert code_of("printer-out/a\0b", place) == "outside"
    assert code_of("printer-out/" + "x" * 256, place) == "not_file"
    assert code_of("/dev/" + "y" * 300, place) == "outside"  # too long a name to look at
    assert check("printer-out/" + "x" * 255, place).kind == "file"


def test_the_shops_own_files_real_paths_are_realpaths_each_folder_resolved_once(tmp_path):
    """The real paths a job checks its path against, each folder resolved once, are
    os.path.realpath's own: through a linked folder, for a file that is a link itself (to
    another folder), a file not there yet, and in a folder not there."""
    from shop.printing.file_printer import _real_paths

    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    (real / "shop.sqlite3").write_bytes(b"SQLite format 3\0")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "key").write_text("k")
    (real / "secret_key").symlink_to(elsewhere / "key")
    names = (
        str(tmp_path / "alias" / "shop.sqlite3"),
        str(tmp_path / "alias" / "shop.sqlite3-wal"),
        str(tmp_path / "alias" / "secret_key"),
        str(tmp_path / "alias" / "gone" / "x"),
        str(real / "shop.sqlite3-shm"),
    )
    assert _real_paths(names) == {os.path.realpath(name) for name in names}
    assert str(elsewhere / "key") in _real_paths(names)
    assert str(real / "shop.sqlite3-wal") in _real_paths(names)
