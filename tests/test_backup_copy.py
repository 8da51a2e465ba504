"""``flask backup --copy-to DIR``: the newest backup copied to a second place (a USB stick,
a synced folder), written under a temporary name, checked, renamed; a place that is not
there or not marked (a stick not plugged in) gets nothing; the newest N are kept there."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shop.services import backup as backup_service

WRITTEN = re.compile(r"backup written: (\S+) \(")


@pytest.fixture
def sqlite_only(db_kind):
    if db_kind != "sqlite":
        pytest.skip("backup copies SQLite databases; on PostgreSQL it refuses (tested apart)")


@pytest.fixture
def shop(sqlite_only, app, runner, make_member, clock):
    make_member(name="Hồng", phone="0912000001")
    clock.set(datetime(2026, 11, 23, 19, 30, tzinfo=UTC))  # 02:30 on the 24th in Hà Nội
    return app


def backup(runner) -> Path:
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    return Path(WRITTEN.search(result.output)[1])


@pytest.fixture
def stick(tmp_path) -> Path:
    """A stick's folder, plugged in and marked once as the shop's place."""
    place = tmp_path / "media" / "usb" / "shop"
    place.mkdir(parents=True)
    (place / backup_service.PLACE_MARKER).write_text("marked")
    return place


def test_the_newest_backup_is_copied_checked_and_restores(shop, runner, stick):
    made = backup(runner)

    result = runner.invoke(args=["backup", "--copy-to", str(stick)])

    assert result.exit_code == 0, result.output
    copy = stick / made.name
    assert result.output.startswith(f"{copy} copied: restores, integrity ok, migration ")
    assert "1 members, 0 sales" in result.output
    assert copy.read_bytes() == made.read_bytes()
    assert sorted(p.name for p in stick.iterdir()) == [backup_service.PLACE_MARKER, made.name]
    checked = runner.invoke(args=["backup", "--check", str(copy)])
    assert checked.exit_code == 0 and " restores: integrity ok" in checked.output

    again = runner.invoke(args=["backup", "--copy-to", str(stick)])
    assert again.exit_code == 0 and "was already there, sound" in again.output


def test_prepare_marks_an_existing_folder_once_and_never_makes_one(shop, runner, tmp_path):
    backup(runner)
    synced = tmp_path / "Drive" / "shop"
    refused = runner.invoke(args=["backup", "--copy-to", str(synced), "--prepare"])
    assert refused.exit_code == 1 and "is not there" in refused.output
    assert not synced.exists()

    synced.mkdir(parents=True)
    result = runner.invoke(args=["backup", "--copy-to", str(synced), "--prepare"])
    assert result.exit_code == 0, result.output
    assert (synced / backup_service.PLACE_MARKER).is_file()
    assert len(backup_service.backups(synced)) == 1


def test_a_missing_place_is_a_clear_message_and_nothing_is_made(shop, runner, tmp_path):
    backup(runner)
    place = tmp_path / "media" / "usb" / "shop"

    result = runner.invoke(args=["backup", "--copy-to", str(place)])

    assert result.exit_code == 1
    assert "no copy was made" in result.output and "is the USB stick plugged in" in result.output
    assert "Traceback" not in result.output
    assert not place.exists() and not place.parent.exists()


def test_a_stick_not_mounted_leaves_its_empty_mount_point_alone(shop, runner, tmp_path):
    """Unplugged, /media/usb/shop may still be a folder (made on the shop's own disk by
    hand, or the mount point itself): without the stick's marker nothing goes there."""
    backup(runner)
    mount_point = tmp_path / "media" / "usb"
    mount_point.mkdir(parents=True)

    result = runner.invoke(args=["backup", "--copy-to", str(mount_point)])

    assert result.exit_code == 1
    assert "the stick is not plugged in" in result.output
    assert list(mount_point.iterdir()) == []


def test_the_place_keeps_the_newest_n_and_nothing_else_is_touched(shop, runner, stick, clock):
    (stick / "notes.txt").write_text("mine")
    names = []
    for _day in range(4):
        names.append(backup(runner).name)
        result = runner.invoke(args=["backup", "--copy-to", str(stick), "--keep", "2"])
        assert result.exit_code == 0, result.output
        clock.advance(days=1)

    assert [p.name for p in backup_service.backups(stick)] == names[-2:]
    assert "removed old copy: " in result.output
    assert (stick / "notes.txt").read_text() == "mine"
    assert not list(stick.glob(".shop-copy-*"))


def test_a_broken_backup_is_not_copied_under_a_backup_name(shop, runner, stick):
    made = backup(runner)
    made.write_bytes(made.read_bytes()[: made.stat().st_size // 2])  # cut short

    result = runner.invoke(args=["backup", "--copy-to", str(stick)])

    assert result.exit_code == 1 and "no copy was made" in result.output
    assert sorted(p.name for p in stick.iterdir()) == [backup_service.PLACE_MARKER]


@pytest.fixture
def mounted(tmp_path):
    """Mount a small tmpfs as a stick (as root; skipped where nothing can be mounted)."""
    mounts = []

    def mount(folder: Path, *options: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"no tmpfs can be mounted here: {done.stderr.strip()}")
        mounts.append(folder)
        return folder

    yield mount
    for folder in reversed(mounts):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_real_stick_taken_out_gets_nothing_written_on_the_shops_disk(shop, runner, mounted,
                                                                      tmp_path):  # fmt: skip
    made = backup(runner)
    usb = mounted(tmp_path / "media" / "usb", "size=8m")
    (usb / "shop").mkdir()
    prepared = runner.invoke(args=["backup", "--copy-to", str(usb / "shop"), "--prepare"])
    assert prepared.exit_code == 0, prepared.output
    assert os.path.ismount(usb) and (usb / "shop" / made.name).is_file()

    subprocess.run(["umount", str(usb)], check=True)  # the stick is pulled out
    gone = runner.invoke(args=["backup", "--copy-to", str(usb / "shop")])
    assert gone.exit_code == 1 and "is the USB stick plugged in" in gone.output
    (usb / "shop").mkdir()  # someone made the folder again on the shop's own disk
    empty = runner.invoke(args=["backup", "--copy-to", str(usb / "shop")])
    assert empty.exit_code == 1 and "the stick is not plugged in" in empty.output
    assert list((usb / "shop").iterdir()) == []


@pytest.mark.parametrize("options", [("size=64k",), ("size=8m", "ro")], ids=["full", "ro"])
def test_a_full_or_read_only_stick_is_a_clear_message_and_leaves_nothing(
    shop, runner, mounted, tmp_path, options
):
    backup(runner)
    usb = mounted(tmp_path / "usb", "size=8m")
    (usb / backup_service.PLACE_MARKER).write_text("marked")
    subprocess.run(["mount", "-o", ",".join(("remount", *options)), str(usb)], check=True)

    result = runner.invoke(args=["backup", "--copy-to", str(usb)])

    assert result.exit_code == 1, result.output
    assert "no copy was made" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in usb.iterdir()) == [backup_service.PLACE_MARKER]


def test_nothing_to_copy_says_so(shop, runner, stick):
    result = runner.invoke(args=["backup", "--copy-to", str(stick)])
    assert result.exit_code == 1 and "there is no backup in" in result.output


def test_a_backup_notes_when_it_was_made(shop, runner, tmp_path, app):
    assert backup_service.last_backup_at(Path(app.instance_path)) is None
    result = runner.invoke(args=["backup", "--to", str(tmp_path / "away")])
    assert result.exit_code == 0, result.output
    assert backup_service.last_backup_at(Path(app.instance_path)) == datetime(
        2026, 11, 23, 19, 30, tzinfo=UTC
    )


def test_the_systemd_units_run_commands_the_shop_has(app):
    """deploy/backup's service calls `backup` with options that exist; the timer is nightly."""
    import shlex

    from shop.cli import backup as backup_command

    deploy = Path(__file__).resolve().parent.parent / "deploy" / "backup"
    service = (deploy / "shop-backup.service").read_text()
    options = {name for param in backup_command.params for name in param.opts}
    commands = [
        shlex.split(line.split("=", 1)[1].lstrip("-"))
        for line in service.splitlines()
        if line.startswith("ExecStart=") and " backup" in line
    ]
    assert len(commands) == 2
    for words in commands:
        assert words[words.index("backup") - 1] == "shop:create_app"
        given = [word for word in words[words.index("backup") + 1 :] if word.startswith("--")]
        assert set(given) <= options, given
    assert "OnCalendar=*-*-* 02:30:00" in (deploy / "shop-backup.timer").read_text()
    assert "Persistent=true" in (deploy / "shop-backup.timer").read_text()
