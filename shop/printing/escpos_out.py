"""A receipt as ESC/POS bytes, and those bytes sent to a printer on the network or a device.

Building and sending are apart: :func:`receipt_bytes` is pure (python-escpos's ``Dummy``
printer only collects bytes), so a view can build the job inside its request and a test can
decode it; :func:`send` does the input/output, with timeouts we choose, and reports every
failure as a :class:`PrinterError` with a short ``reason`` the counter can translate.

Two ways to print the text:

- ``"raster"`` (the default): the receipt is drawn by :func:`~shop.printing.receipt.render_image`
  with the bundled DejaVu fonts and sent as ``GS v 0`` raster images. Every Vietnamese letter
  prints on any printer that prints images, which is every cheap 58 mm printer we know; their
  own fonts have no Vietnamese code page (python-escpos turns "ữ" into "?" on profiles such as
  ``POS-5890`` and ``NT-5890K``).
- ``"text"``: the printer's own font, with python-escpos choosing code pages letter by
  letter (TCVN-3 and CP1258 on Epson-type profiles such as ``default``, ``TM-T20II``,
  ``TM-T88V``, where every Vietnamese letter encodes). Faster to print and fewer bytes, but
  only right on printers that really have those pages.

Widths are printer dots unless a name says otherwise; money is whole đồng.
"""

from __future__ import annotations

import copy
import errno
import logging
import os
import re
import select
import socket
import struct
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import segno
from PIL import Image

from shop.printing.escpos_raster import raster_bands
from shop.printing.file_printer import Place, UnsafePath, check, open_for_job
from shop.printing.receipt import (
    CHARS_PER_LINE,
    DEFAULT_DPI,
    QR_SHARE,
    Receipt,
    printable_width_px,
    receipt_lines,
    render_image,
    rows_text,
)

# python-escpos calls logging.basicConfig() when imported, which would put its own handler
# on the root logger of the web process: the handlers are put back as they were.
_root_handlers = list(logging.getLogger().handlers)
from escpos.capabilities import BaseProfile  # noqa: E402
from escpos.constants import QR_ECLEVEL_M  # noqa: E402
from escpos.printer import Dummy  # noqa: E402

logging.getLogger().handlers[:] = _root_handlers

Mode = Literal["raster", "text"]

#: Raster images go out in bands of at most this many rows, one ``GS v 0`` each. It is
#: python-escpos's own default (a multiple of 24, the height of a print-head pass), far below
#: the 4095 rows ``GS v 0`` allows; printers that garble tall images do so from about 2000.
RASTER_BAND_DOTS = 960
#: Printers without a cutter feed this many lines instead (ESC d), to bring the end of the
#: receipt past the tear bar: about 2 cm at the usual 1/6 inch a line.
TEAR_OFF_FEED_LINES = 5
#: Receipts whose packed raster is kept in memory, in each process: a morning's reprints
#: and retries, a few tens of kB each.
RASTER_CACHE_SIZE = 64
#: Sent to the network or a device in pieces this big, so "no progress" can be timed.
_CHUNK = 16 * 1024
#: How often to look whether the printer has acknowledged the whole job, seconds.
_ACK_POLL_SECONDS = 0.01


def _printer(profile: str, paper_mm: int) -> tuple[Dummy, int]:
    """A Dummy printer for ``profile`` that knows the paper's width, and the dpi used.

    The profile's own width is only a fact about the largest paper the printer takes; the
    paper in it is what ``paper_mm`` says. Giving python-escpos that width also keeps it from
    printing a warning on stdout for profiles without one (``default``) and lets it check
    that an image is not wider than the paper.
    """
    try:
        printer = Dummy(profile=profile)
    except KeyError:
        raise ValueError(f"unknown python-escpos printer profile {profile!r}") from None
    paper_profile, dpi = _paper_profile(profile, paper_mm)
    # An instance attribute shadows the class's shared dict, so other printers keep theirs.
    printer.profile = paper_profile
    return printer, dpi


@lru_cache(maxsize=64)
def _paper_profile(profile: str, paper_mm: int) -> tuple[BaseProfile, int]:
    """The profile of :func:`_printer` (made once per profile and paper: nothing changes a
    profile once made) and its dpi."""
    printer = Dummy(profile=profile)
    data: dict[str, Any] = copy.deepcopy(printer.profile.profile_data)
    media = data.setdefault("media", {})
    dpi = media.get("dpi")
    dpi = dpi if isinstance(dpi, int) else DEFAULT_DPI
    width_px = printable_width_px(paper_mm, dpi)
    known = media.setdefault("width", {}).get("pixels")
    if isinstance(known, int) and known < width_px:
        raise ValueError(
            f"profile {profile!r} prints at most {known} dots across; "
            f"{paper_mm} mm paper needs {width_px}"
        )
    media["width"]["pixels"] = width_px
    paper_profile: BaseProfile = type(printer.profile)()
    paper_profile.profile_data = data
    return paper_profile, dpi


def profile_problem(profile: str, paper_mm: int, mode: Mode) -> str | None:
    """Why ``profile`` cannot print on ``paper_mm`` paper in ``mode``, or ``None`` if it can:
    ``"unknown"`` (no such python-escpos profile), ``"narrow"`` (the printer is narrower
    than the paper's printable width) or ``"no_raster"`` (no raster images, for raster mode).
    """
    try:
        printer, _dpi = _printer(profile, paper_mm)
    except KeyError:
        return "unknown"
    except ValueError as error:
        return "unknown" if "unknown" in str(error) else "narrow"
    if mode == "raster" and not printer.profile.supports("bitImageRaster"):
        return "no_raster"
    return None


def profile_names() -> list[str]:
    """Every python-escpos printer profile, "default" first, then by name."""
    from escpos.capabilities import CAPABILITIES

    names = CAPABILITIES["profiles"]
    return ["default", *sorted((name for name in names if name != "default"), key=str.lower)]


def has_cutter(profile: str) -> bool:
    """Whether printers of ``profile`` cut the paper (else the receipt is fed past the tear
    bar), as :func:`receipt_bytes` decides it."""
    printer, _dpi = _printer(profile, 58)
    return bool(
        printer.profile.supports("paperFullCut") or printer.profile.supports("paperPartCut")
    )


def drawer_bytes(drawer_pin: int, *, profile: str = "default") -> bytes:
    """Only a kick of the cash drawer on ``drawer_pin`` (2 or 5), nothing printed."""
    if drawer_pin not in (2, 5):
        raise ValueError(f"drawer_pin must be 2 or 5, not {drawer_pin!r}")
    printer, _dpi = _printer(profile, 58)
    printer.hw("INIT")
    printer.cashdraw(drawer_pin)
    return printer.output


def receipt_bytes(
    receipt: Receipt,
    *,
    paper_mm: int = 58,
    profile: str = "default",
    mode: Mode = "raster",
    open_drawer: bool = False,
    drawer_pin: int = 2,
    cut: bool = True,
) -> bytes:
    """The whole print job for ``receipt``: ESC/POS bytes from ``ESC @`` to the cut.

    ``profile`` names a python-escpos printer profile (its dpi, code pages and whether it
    has a cutter count). ``mode`` is ``"raster"`` (every letter drawn as an image, the
    default) or ``"text"`` (the printer's font and code pages). ``open_drawer`` kicks the
    cash drawer wired to connector pin ``drawer_pin`` (2 or 5) after printing. ``cut`` cuts
    the paper, or on a printer without a cutter feeds it past the tear bar.
    """
    if mode not in ("raster", "text"):
        raise ValueError(f"mode must be 'raster' or 'text', not {mode!r}")
    if drawer_pin not in (2, 5):
        raise ValueError(f"drawer_pin must be 2 or 5, not {drawer_pin!r}")
    printer, dpi = _printer(profile, paper_mm)
    printer.hw("INIT")  # ESC @: whatever the last job left set (double height, a code page)
    if mode == "raster":
        if not printer.profile.supports("bitImageRaster"):
            raise ValueError(f"profile {profile!r} cannot print raster images: use text mode")
        printer._raw(receipt_raster(receipt, paper_mm=paper_mm, dpi=dpi))
    else:
        _print_text(printer, receipt, paper_mm)
    if open_drawer:
        printer.cashdraw(drawer_pin)
    if cut:
        if printer.profile.supports("paperFullCut") or printer.profile.supports("paperPartCut"):
            printer.cut()  # feeds the receipt past the blade first
        else:
            printer.print_and_feed(TEAR_OFF_FEED_LINES)
    return printer.output


@lru_cache(maxsize=RASTER_CACHE_SIZE)
def receipt_raster(receipt: Receipt, *, paper_mm: int, dpi: int) -> bytes:
    """``receipt`` drawn (:func:`~shop.printing.receipt.render_image`) and packed as ``GS v 0``
    bands: the printed part of a raster job, without its start, drawer kick and cut.

    Kept for the last :data:`RASTER_CACHE_SIZE` receipts, keyed by everything the paper
    shows: a sale's print job, the bytes its counter device fetches and a reprint draw it
    once, and a receipt that shows something else (the transfer has arrived, the sale was
    voided, the footer or the language changed) is another key, so drawn afresh.
    """
    image = render_image(receipt, paper_mm=paper_mm, dpi=dpi)
    return raster_bands(
        image, band_dots=RASTER_BAND_DOTS, max_width=printable_width_px(paper_mm, dpi)
    )


def print_image(printer: Dummy, image: Image.Image) -> None:
    """``image`` (mode ``"1"``, no wider than the printer's paper) as ``GS v 0`` bands of
    :data:`RASTER_BAND_DOTS` rows: the bytes python-escpos's ``image()`` makes of it."""
    width = int(printer.profile.profile_data["media"]["width"]["pixels"])
    printer._raw(raster_bands(image, band_dots=RASTER_BAND_DOTS, max_width=width))


def _print_text(printer: Dummy, receipt: Receipt, paper_mm: int) -> None:
    """The rows of :func:`receipt_lines` in the printer's font A, the QR code as an image."""
    # The profile's column count matters when the printer is narrower than usual (42 on a
    # 512-dot TM-T88); CHARS_PER_LINE is what 203 dpi paper of that width holds.
    width_chars = min(CHARS_PER_LINE[paper_mm], printer.profile.get_columns("a"))
    width_px = int(printer.profile.profile_data["media"]["width"]["pixels"])
    style: tuple[bool, bool] | None = None
    for row in receipt_lines(receipt, width_chars):
        if row.kind == "space":
            continue
        if row.kind == "qr":
            # python-escpos draws it with the qrcode library, one module of quiet zone: the
            # blank lines it prints around the code and the white margins make up the rest.
            modules = segno.make_qr(row.left, error="m", boost_error=False).symbol_size(
                scale=1, border=1
            )[0]
            dots = max(1, min(16, round(width_px * QR_SHARE) // modules))
            printer.set(align="left", bold=False, normal_textsize=True)
            style = (False, False)
            printer.qr(row.left, ec=QR_ECLEVEL_M, size=dots, native=False, center=True)
            continue
        if style != (row.bold, row.large):
            style = (row.bold, row.large)
            # Double height keeps the width, so the rows' character counts still hold.
            printer.set(bold=row.bold, double_height=row.large, normal_textsize=not row.large)
        # Centred rows come padded with spaces from rows_text: no ESC a needed.
        printer.text(rows_text([row], width_chars)[0].rstrip() + "\n")


# --- sending -----------------------------------------------------------------------------

Reason = Literal["refused", "timeout", "unreachable", "broken", "unsafe"]


class PrinterError(Exception):
    """The printer could not take the job. ``reason``, for a translated message, is one of:

    - ``refused``: nobody listens there (printer on, wrong port) or no permission;
    - ``timeout``: no connection, or no progress, within the connection's ``timeout``
      (printer off, asleep, out of paper with a full buffer);
    - ``unreachable``: no such host, network or device (printer unplugged);
    - ``broken``: the connection or device went away in the middle of the job;
    - ``unsafe``: the device or file is not one a printer may be (see
      :mod:`shop.printing.file_printer`): nothing was opened or written.
    """

    def __init__(self, reason: Reason, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


ConnectionKind = Literal["network", "usb", "serial", "file", "cups", "none"]
CONNECTION_KINDS: tuple[str, ...] = ("none", "network", "usb", "serial", "file", "cups")
#: The command that hands a raw job to a CUPS queue (``lp -d QUEUE -o raw``).
LP_COMMAND = "lp"
#: What CUPS allows in a queue's name (and never a leading "-", which lp would read as an option).
CUPS_QUEUE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,126}")


@dataclass(frozen=True)
class Connection:
    """Where print jobs go.

    ``kind`` is one of:

    - ``"network"``: raw TCP to ``host``:``port`` (9100 on nearly every network printer);
    - ``"usb"``: the USB printer with ``usb_vendor_id``/``usb_product_id``, through libusb
      (on Linux a USB printer also shows as ``/dev/usb/lp0``: ``"file"`` reaches it too);
    - ``"serial"``: ``serial_device`` (``/dev/ttyUSB0``) at ``baudrate``;
    - ``"file"``: ``path``, a printer's device such as ``/dev/usb/lp0`` or a plain file in
      ``place``'s printer-out folder that jobs are appended to (nothing else:
      :func:`shop.printing.file_printer.check`, again when each job opens it);
    - ``"cups"``: the CUPS queue ``cups_queue``, sent raw with ``lp``;
    - ``"none"``: jobs are dropped (no printer).

    ``timeout`` is seconds: for connecting, and then for each wait without progress while
    sending (not the whole job: a long receipt on a slow printer takes as long as it prints).
    """

    kind: ConnectionKind = "none"
    host: str = ""
    port: int = 9100
    path: str = ""
    usb_vendor_id: int | None = None
    usb_product_id: int | None = None
    serial_device: str = ""
    baudrate: int = 9600
    cups_queue: str = ""
    timeout: float = 10.0
    place: Place = Place()

    def __post_init__(self) -> None:
        if self.kind not in CONNECTION_KINDS:
            raise ValueError(f"kind must be one of {CONNECTION_KINDS}, not {self.kind!r}")
        if self.kind == "network":
            if not self.host:
                raise ValueError("a network printer needs a host")
            if isinstance(self.port, bool) or not isinstance(self.port, int):
                raise TypeError("port must be an int")
            if not 1 <= self.port <= 65535:
                raise ValueError(f"port must be from 1 to 65535, not {self.port}")
        if self.kind == "file" and not self.path:
            raise ValueError("a file printer needs a path")
        if self.kind == "usb" and (self.usb_vendor_id is None or self.usb_product_id is None):
            raise ValueError("a USB printer needs its vendor and product id")
        if self.kind == "serial" and not self.serial_device:
            raise ValueError("a serial printer needs its device")
        if self.kind == "cups" and not CUPS_QUEUE.fullmatch(self.cups_queue):
            raise ValueError(f"not a CUPS queue's name: {self.cups_queue!r}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be more than 0 seconds, not {self.timeout!r}")


def send(data: bytes, connection: Connection) -> None:
    """Send a print job; return when the printer has taken all of ``data``, or raise.

    Taken means, on the network, acknowledged by the printer's TCP stack (on Linux; elsewhere
    handed to our system's buffers) and, for a device, written to its driver. ESC/POS
    printers send no receipt of a job, so one that fails after taking the last bytes is
    not noticed here. This blocks for about as long as the printer needs to take the job in
    (its buffer fills at the speed it prints), so call it off the request that made the
    sale. Failures raise :class:`PrinterError`.
    """
    senders = {
        "network": _send_network,
        "file": _send_file,
        "usb": _send_usb,
        "serial": _send_serial,
        "cups": _send_cups,
    }
    if connection.kind != "none":
        senders[connection.kind](data, connection)


def _send_network(data: bytes, connection: Connection) -> None:
    # A plain socket rather than python-escpos's Network printer: its timeout covers the
    # connection only, and a failure mid-way would surface as an unspecific exception.
    address = (connection.host, connection.port)
    where = f"{connection.host}:{connection.port}"
    try:
        sock = socket.create_connection(address, timeout=connection.timeout)
    except ConnectionRefusedError as error:
        raise PrinterError("refused", f"{where} refused the connection") from error
    except TimeoutError as error:
        raise PrinterError("timeout", f"no answer from {where}") from error
    except OSError as error:  # name not found, no route, network down
        raise PrinterError("unreachable", f"{where}: {error}") from error
    with sock:
        sent = 0
        view = memoryview(data)
        try:
            while sent < len(view):
                # send() waits at most the socket's timeout for room in the buffer: a
                # printer that takes nothing for that long is stuck.
                sent += sock.send(view[sent : sent + _CHUNK])
            _wait_until_acknowledged(sock, connection.timeout)
            sock.shutdown(socket.SHUT_WR)  # the end of the job, after the last byte
        except TimeoutError as error:
            raise PrinterError(
                "timeout",
                f"{where} took nothing for {connection.timeout} s; {sent} of {len(data)} "
                "bytes handed to the system",
            ) from error
        except OSError as error:  # reset, broken pipe, aborted
            raise PrinterError(
                "broken", f"{where} dropped the connection after {sent} of {len(data)} bytes"
            ) from error


def _wait_until_acknowledged(sock: socket.socket, timeout: float) -> None:
    """Return once the printer's TCP stack acknowledged every byte sent (Linux only).

    When the last send() returns, most of a receipt (tens of kB) is often still in our
    system's send buffer: a printer out of paper, switched off or unplugged from the network
    at that moment would go unnoticed. Linux tells how many bytes are not yet acknowledged
    (SIOCOUTQ); this waits for zero, raising TimeoutError when that count has not moved for
    ``timeout`` seconds and OSError when the printer reset the connection. Elsewhere it
    returns at once.
    """
    if not sys.platform.startswith("linux"):
        return
    import fcntl  # Unix only, hence here
    import termios

    last, since = -1, time.monotonic()
    while True:
        # A reset empties the queue, so read the pending error before the count.
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise OSError(error, os.strerror(error))
        unacknowledged = struct.unpack(
            "i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
        )[0]
        if unacknowledged == 0:
            return
        now = time.monotonic()
        if unacknowledged != last:
            last, since = unacknowledged, now
        elif now - since > timeout:
            raise TimeoutError(f"{unacknowledged} bytes not acknowledged")
        time.sleep(_ACK_POLL_SECONDS)


_UNREACHABLE = {errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.ENOTDIR}
_REFUSED = {errno.EACCES, errno.EPERM, errno.EBUSY, errno.EROFS}


def _open_error(error: OSError, path: str) -> PrinterError:
    if error.errno in _UNREACHABLE:
        return PrinterError("unreachable", f"{path}: {error.strerror}")
    if error.errno in _REFUSED:
        return PrinterError("refused", f"{path}: {error.strerror}")
    return PrinterError("broken", f"{path}: {error.strerror}")


def _send_file(data: bytes, connection: Connection) -> None:
    path = connection.path
    try:
        fd, target = open_for_job(path, connection.place)
    except UnsafePath as error:
        raise PrinterError("unsafe", str(error)) from error
    except OSError as error:  # an unplugged USB printer's device node is gone: not created
        raise _open_error(error, path) from error
    try:
        if target.kind == "file":
            # Appending: a file used as a spool keeps every job, one after another.
            _write_file(fd, data, path)
        else:
            _write_device(fd, data, path, connection.timeout)
    finally:
        os.close(fd)


def _write_file(fd: int, data: bytes, path: str) -> None:
    view = memoryview(data)
    sent = 0
    try:
        while sent < len(view):
            sent += os.write(fd, view[sent:])
    except OSError as error:
        raise _open_error(error, path) from error


def _write_device(fd: int, data: bytes, path: str, timeout: float) -> None:
    """Write to a character device (opened non-blocking) without blocking for ever.

    A USB printer out of paper stops taking data, and a plain write() would then hang the
    caller; here each wait for room is ``timeout`` at most.
    """
    # poll(), not select(): a busy server may hold descriptors past select's limit of 1024.
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    sent = 0
    last_progress = time.monotonic()
    while sent < len(data):
        remaining = last_progress + timeout - time.monotonic()
        if remaining <= 0:
            raise PrinterError(
                "timeout",
                f"{path} took nothing for {timeout} s; {sent} of {len(data)} bytes sent",
            )
        if not poller.poll(remaining * 1000):
            continue
        try:
            sent += os.write(fd, data[sent : sent + _CHUNK])
        except BlockingIOError:  # ready yet full: wait again, on the same clock
            continue
        except OSError as error:  # EPIPE, EIO, ENODEV: the printer went away mid-job
            raise PrinterError(
                "broken", f"{path}: {error.strerror} after {sent} of {len(data)} bytes"
            ) from error
        last_progress = time.monotonic()


def _send_serial(data: bytes, connection: Connection) -> None:
    # pyserial opens the device itself: the same rule first, for serial ports only. Their
    # folder, /dev, is the system's own, so nobody but root can swap a link in after this.
    try:
        check(connection.serial_device, connection.place, serial=True)
    except UnsafePath as error:
        raise PrinterError("unsafe", str(error)) from error
    _write_serial(data, connection.serial_device, connection.baudrate, connection.timeout)


def _write_serial(data: bytes, device: str, baudrate: int, timeout: float) -> None:
    import serial  # pyserial, only where a serial printer is used

    try:
        port = serial.Serial(device, baudrate, timeout=timeout, write_timeout=timeout)
    except serial.SerialException as error:
        cause = error.__context__ if isinstance(error.__context__, OSError) else None
        errno_ = getattr(cause, "errno", None) or getattr(error, "errno", None)
        if errno_ in _REFUSED:
            raise PrinterError("refused", f"{device}: {error}") from error
        raise PrinterError("unreachable", f"{device}: {error}") from error
    sent = 0
    try:
        with port:
            while sent < len(data):
                sent += port.write(data[sent : sent + _CHUNK]) or 0
            port.flush()
    except serial.SerialTimeoutException as error:
        raise PrinterError(
            "timeout", f"{device} took nothing for {timeout} s; {sent} bytes sent"
        ) from error
    except (serial.SerialException, OSError) as error:
        raise PrinterError("broken", f"{device}: {error} after {sent} bytes") from error


def _send_usb(data: bytes, connection: Connection) -> None:
    """Through libusb (pyusb): the printer's first bulk OUT endpoint, timed per chunk."""
    try:
        import usb.core
        import usb.util
    except ImportError as error:  # pragma: no cover - pyusb is a dependency
        raise PrinterError("unreachable", "pyusb is not installed") from error
    where = f"USB {connection.usb_vendor_id:04x}:{connection.usb_product_id:04x}"
    try:
        device = usb.core.find(
            idVendor=connection.usb_vendor_id, idProduct=connection.usb_product_id
        )
    except usb.core.NoBackendError as error:
        raise PrinterError("unreachable", f"{where}: libusb is not installed") from error
    except usb.core.USBError as error:
        raise PrinterError("refused", f"{where}: {error}") from error
    if device is None:
        raise PrinterError("unreachable", f"{where}: not plugged in")
    timeout_ms = max(1, int(connection.timeout * 1000))
    sent = 0
    try:
        try:
            if device.is_kernel_driver_active(0):
                device.detach_kernel_driver(0)
        except (NotImplementedError, usb.core.USBError):
            pass  # not on this platform, or nothing attached
        device.set_configuration()
        interface = device.get_active_configuration()[(0, 0)]
        endpoint = usb.util.find_descriptor(
            interface,
            custom_match=lambda e: (
                usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT
            ),
        )
        if endpoint is None:
            raise PrinterError("refused", f"{where}: no way to send it data")
        while sent < len(data):
            sent += endpoint.write(data[sent : sent + _CHUNK], timeout_ms)
    except usb.core.USBTimeoutError as error:
        raise PrinterError("timeout", f"{where}: took nothing; {sent} bytes sent") from error
    except usb.core.USBError as error:
        if error.errno in _REFUSED:
            raise PrinterError("refused", f"{where}: {error}") from error
        raise PrinterError("broken", f"{where}: {error} after {sent} bytes") from error
    finally:
        usb.util.dispose_resources(device)


def _send_cups(data: bytes, connection: Connection) -> None:
    """Hand the job to CUPS as raw bytes. CUPS keeps it and prints it when it can: "taken"
    here means the queue accepted it, not that the paper came out.
    """
    import subprocess

    queue = connection.cups_queue
    try:
        # The queue's name is checked by Connection; no shell is involved.
        done = subprocess.run(  # noqa: S603
            [LP_COMMAND, "-d", queue, "-o", "raw", "-s", "-"],
            input=data,
            capture_output=True,
            timeout=connection.timeout,
            check=False,
        )
    except FileNotFoundError as error:
        raise PrinterError("unreachable", "CUPS (the lp command) is not installed") from error
    except subprocess.TimeoutExpired as error:
        raise PrinterError(
            "timeout", f"CUPS did not take the job within {connection.timeout} s"
        ) from error
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[:200]
        raise PrinterError("refused", f"CUPS queue {queue}: {message}")
