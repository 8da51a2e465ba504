"""What a printer "file" may be, checked where it is typed and again where a job opens it.

The web process writes every print job to the path in the printer's settings. Anything
else it opened there would be damaged: opening and closing the live SQLite database (or its
``-wal``/``-shm`` files) drops the locks this process holds on it, and another program then
removes journal files the workers still write to (acknowledged sales were lost that way);
a block device or the instance folder's own files (``secret_key``) would be overwritten.

So a file printer is only:

- a printer's character device: ``/dev/usb/lpN``, ``/dev/lpN``, or a serial tty
  ``/dev/ttyUSBN``, ``/dev/ttyACMN``, ``/dev/ttySN`` (a serial connection takes the
  serial ttys only);
- or a plain file directly in the instance folder's ``printer-out/`` folder, created there
  by the first job if it does not exist yet (written as ``printer-out/receipts.bin``, relative
  to the instance folder, or in full).

Never a symbolic link anywhere along the path, never ``..``, never a file with a second name
(a hard link), never the shop's own files (:attr:`Place.protected`), whatever folder they are
in. :func:`check` looks without opening anything (``lstat``); :func:`open_for_job` checks
again and opens one folder at a time with ``O_NOFOLLOW``, so a path that became a link
after it was saved is refused, not followed. Refusals raise :class:`UnsafePath` with a
``code`` that :data:`shop.messages.PRINTER_PATHS` translates.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from dataclasses import dataclass
from typing import Literal

#: The instance folder's folder where file printers may write.
SPOOL_FOLDER = "printer-out"
#: A printer's device files: USB and parallel printers, and serial ports.
PRINTER_DEVICES = re.compile(r"/dev/(?:usb/lp|lp|ttyUSB|ttyACM|ttyS)[0-9]{1,3}")
#: What a serial connection may open.
SERIAL_PORTS = re.compile(r"/dev/(?:ttyUSB|ttyACM|ttyS)[0-9]{1,3}")

Code = Literal[
    "dotdot",  # the path has ".." in it
    "symlink",  # a part of the path is a symbolic link
    "protected",  # the database, its journal files or the secret key
    "block_device",  # a disk
    "not_printer",  # under /dev, but not a printer's character device
    "not_serial",  # (a serial connection) not a serial port
    "outside",  # neither under /dev nor directly in printer-out
    "not_file",  # in printer-out, but a folder, a pipe, a device: not a plain file
    "linked",  # in printer-out, but one name of a file that has others (a hard link)
]


class UnsafePath(Exception):
    """A path no print job may open; ``code`` says why (see :data:`Code`)."""

    def __init__(self, code: Code, path: str, why: str):
        super().__init__(f"{path}: {why}")
        self.code = code
        self.path = path


@dataclass(frozen=True)
class Place:
    """Where this shop keeps its files: the instance folder (absolute; ``""``: no spool
    folder, devices only) and the files never written whatever the path, such as the SQLite
    database and its journals, and the secret key."""

    instance: str = ""
    protected: tuple[str, ...] = ()

    @property
    def spool(self) -> str:
        return os.path.join(self.instance, SPOOL_FOLDER) if self.instance else ""


@dataclass(frozen=True)
class Target:
    """A checked path: a printer's ``device`` or a ``file`` in printer-out (``folder`` is
    the real printer-out folder and ``name`` the file's name in it)."""

    kind: Literal["device", "file"]
    path: str
    folder: str = ""
    name: str = ""


def _parts(path: str, place: Place) -> list[str]:
    """The path's parts from the root; relative paths are in the instance folder."""
    if not path.startswith("/"):
        if not place.instance:
            raise UnsafePath("outside", path, "not a printer device, and no spool folder")
        path = os.path.join(place.instance, path)
    if "\0" in path:
        raise UnsafePath("outside", path.replace("\0", "\\0"), "a NUL byte in the path")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafePath("dotdot", path, 'the path has ".." in it')
    return parts


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _real_paths(names: tuple[str, ...]) -> set[str]:
    """``os.path.realpath`` of each of ``names``, each folder resolved once: the shop's own
    files share one or two folders, and a job checks its path against all of them (a
    resolved folder and a last part that is no link are the real path already)."""
    folders: dict[str, str] = {}
    real = set()
    for name in names:
        folder, last = os.path.split(os.path.normpath(name))
        if not last or last == ".." or _is_link(name):
            real.add(os.path.realpath(name))
            continue
        if folder not in folders:
            folders[folder] = os.path.realpath(folder)
        real.add(os.path.join(folders[folder], last))
    return real


def _is_link(path: str) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:  # not there (realpath leaves a missing last part as it is), or unreadable
        return False


def _protected(path: str, place: Place) -> None:
    """Refuse the shop's own files, by name and by what the path leads to (looked at with
    stat, which opens nothing)."""
    names = {os.path.normpath(name) for name in place.protected}
    names |= _real_paths(place.protected)
    target = _identity(path)
    if path in names or (
        target is not None and target in {_identity(name) for name in place.protected}
    ):
        raise UnsafePath("protected", path, "one of the shop's own files (its data or its key)")


def _no_links(parts: list[str]) -> os.stat_result | None:
    """lstat of the path made of ``parts``, refusing a symbolic link in any of them;
    ``None`` if a part is missing."""
    path = ""
    found = None
    for part in parts:
        path += "/" + part
        try:
            found = os.lstat(path)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            raise UnsafePath("outside", path, "not a folder") from None
        except OSError as error:  # a name too long, a folder nobody may look into
            raise UnsafePath("outside", path, error.strerror or "cannot be looked at") from None
        if stat.S_ISLNK(found.st_mode):
            raise UnsafePath("symlink", path, "a symbolic link")
    return found


def check(path: str, place: Place, *, serial: bool = False) -> Target:
    """The target ``path`` names, or :class:`UnsafePath`. Opens nothing.

    A printer's device that is not there (a USB printer unplugged) is accepted: the job
    then fails as "cannot be found", and never creates a file in its place.
    """
    parts = _parts(path, place)
    full = "/" + "/".join(parts)
    _protected(full, place)
    if parts[:1] == ["dev"]:
        found = _no_links(parts)
        if found is not None and stat.S_ISBLK(found.st_mode):
            raise UnsafePath("block_device", full, "a disk (block device), not a printer")
        if serial and not SERIAL_PORTS.fullmatch(full):
            raise UnsafePath("not_serial", full, "not a serial port")
        if not PRINTER_DEVICES.fullmatch(full) or (
            found is not None and not stat.S_ISCHR(found.st_mode)
        ):
            raise UnsafePath("not_printer", full, "not a printer's device")
        return Target("device", full)
    if serial:
        raise UnsafePath("not_serial", full, "not a serial port")
    folder, name = os.path.split(full)
    real_folder = (
        os.path.join(os.path.realpath(place.instance), SPOOL_FOLDER) if place.instance else ""
    )
    if not place.instance or folder not in {os.path.normpath(place.spool), real_folder}:
        raise UnsafePath("outside", full, f"neither a printer's device nor in {SPOOL_FOLDER}/")
    if len(os.fsencode(name)) > _NAME_MAX:
        raise UnsafePath("not_file", full, "a file name longer than a file may have")
    found = _no_links([*real_folder.strip("/").split("/"), name])
    _check_file(found, full)
    return Target("file", full, real_folder, name)


def _check_file(found: os.stat_result | None, path: str) -> None:
    if found is None:
        return  # not there yet: the job creates it
    if not stat.S_ISREG(found.st_mode):
        raise UnsafePath("not_file", path, "not a plain file")
    if found.st_nlink != 1:
        raise UnsafePath("linked", path, "a file with another name too (a hard link)")


#: The longest file name (in bytes) the usual file systems take.
_NAME_MAX = 255
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def _open_folder(name: str, parent: int | None, path: str) -> int:
    try:
        if parent is None:
            return os.open(name, _FOLDER)
        return os.open(name, _FOLDER | os.O_NOFOLLOW, dir_fd=parent)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafePath("symlink", path, "a symbolic link or not a folder") from None
        raise


def open_for_job(path: str, place: Place) -> tuple[int, Target]:
    """Check ``path`` again and open it for writing a job: a descriptor (non-blocking,
    appending to a file) and the target. No symbolic link is followed on the way, and what
    was opened is looked at again before anything is written.

    Raises :class:`UnsafePath`, or ``OSError`` when the device or folder is not there or
    cannot be opened (the printer is unplugged, no permission).
    """
    target = check(path, place)
    if target.kind == "device":
        folders, name = target.path.strip("/").split("/")[:-1], os.path.basename(target.path)
        start, flags = "/", os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY
    else:
        folders, name = [SPOOL_FOLDER], target.name
        # The instance folder as the check resolved it: the shop's own setting, trusted.
        start = os.path.dirname(target.folder)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_NOCTTY
    parent = _open_folder(start, None, start)
    try:
        for folder in folders:
            if target.kind == "file":
                with contextlib.suppress(FileExistsError):
                    os.mkdir(folder, 0o750, dir_fd=parent)
            inner = _open_folder(folder, parent, target.path)
            os.close(parent)
            parent = inner
        try:
            fd = os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640, dir_fd=parent)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise UnsafePath("symlink", target.path, "a symbolic link") from None
            raise
    finally:
        os.close(parent)
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) in {_identity(p) for p in place.protected}:
            raise UnsafePath("protected", target.path, "one of the shop's own files")
        if target.kind == "device" and not stat.S_ISCHR(opened.st_mode):
            raise UnsafePath("not_printer", target.path, "not a printer's device")
        if target.kind == "file":
            _check_file(opened, target.path)
    except BaseException:
        os.close(fd)
        raise
    return fd, target
