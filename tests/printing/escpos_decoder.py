"""A small ESC/POS reader for the tests: the bytes a printer would get, back as events.

It knows the commands python-escpos sends for receipts and nothing else: any other byte
raises, so a test cannot pass on garbage. Text is decoded with the code page the last
``ESC t n`` chose, through python-escpos's own tables for the profile (TCVN-3 pages are
tables of characters there; the others name a Python codec), which is the exact reverse of
how its magic encoder chose the bytes.

Events: ``("text", str)`` (newlines included, consecutive text merged), ``("image", PIL
image)`` per ``GS v 0``, ``("qr", str)`` per native ``GS ( k`` store command, ``("cut",)``,
``("cashdraw", pin)``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from escpos.capabilities import CAPABILITIES
from PIL import Image

ESC, GS, LF = 0x1B, 0x1D, 0x0A
# Commands skipped, with their count of parameter bytes: ESC @ init, a align, E bold, ! print
# mode, - underline, M font, { upside down, G double strike, d feed lines, J feed dots,
# 2 and 3 line spacing, r colour.
_ESC_SKIP = {b"@": 0, b"a": 1, b"E": 1, b"!": 1, b"-": 1, b"M": 1, b"{": 1, b"G": 1, b"d": 1}
_ESC_SKIP |= {b"J": 1, b"2": 0, b"3": 1, b"r": 1}
# GS ! character size, B reverse, b smoothing, | density.
_GS_SKIP = {b"!": 1, b"B": 1, b"b": 1, b"|": 1}


@cache
def _code_page(profile: str, page: int) -> tuple[str | None, ...]:
    """Characters for bytes 0x80–0xFF on ``page`` of ``profile``; None where there is none."""
    name = CAPABILITIES["profiles"][profile]["codePages"].get(str(page))
    if name is None:
        raise ValueError(f"profile {profile} has no code page {page}")
    encoding = CAPABILITIES["encodings"][name]
    if "data" in encoding:
        table = "".join(encoding["data"])
        # python-escpos fills positions it has no character for with a space, which its
        # encoder never sends (a real space is ASCII): such a byte is garbage.
        return tuple(None if char == " " else char for char in table)
    if "python_encode" in encoding:
        chars: list[str | None] = []
        for byte in range(0x80, 0x100):
            try:
                chars.append(bytes([byte]).decode(encoding["python_encode"]))
            except UnicodeDecodeError:
                chars.append(None)
        return tuple(chars)
    raise ValueError(f"code page {page} ({name}) has no known characters")


def decode(data: bytes, profile: str = "default") -> list[tuple[Any, ...]]:
    """The events in ``data`` as sent to a printer with python-escpos profile ``profile``."""
    events: list[tuple[Any, ...]] = []
    text: list[str] = []  # characters since the last other event
    page, i = 0, 0

    def emit(*event: Any) -> None:
        if text:
            events.append(("text", "".join(text)))
            text.clear()
        events.append(event)

    def need(count: int) -> bytes:
        if i + count > len(data):
            raise ValueError(f"command at {i} is cut short")
        return data[i : i + count]

    while i < len(data):
        byte = data[i]
        if byte == ESC:
            command = need(2)[1:2]
            if command == b"t":
                page, i = need(3)[2], i + 3
                _code_page(profile, page)  # an unknown page is an error even before text
            elif command == b"p":
                pin = need(5)[2]
                if pin not in (0, 1, 48, 49):
                    raise ValueError(f"ESC p with pin {pin} at {i}")
                emit("cashdraw", 2 if pin in (0, 48) else 5)
                i += 5
            elif command in _ESC_SKIP:
                if command == b"@":
                    page = 0  # ESC @ resets the printer to page 0
                i += len(need(2 + _ESC_SKIP[command]))
            else:
                raise ValueError(f"unknown command ESC {command!r} at {i}")
        elif byte == GS:
            command = need(2)[1:2]
            if command == b"v":
                head = need(8)
                if head[2:3] != b"0" or head[3] not in (0, 1, 2, 3, 48, 49, 50, 51):
                    raise ValueError(f"GS v with {head[2:4]!r} at {i}")
                width_bytes, height = head[4] + 256 * head[5], head[6] + 256 * head[7]
                i += 8
                bitmap = need(width_bytes * height)
                # ESC/POS: a set bit is a black dot; in Pillow's mode "1" it is white.
                size = (width_bytes * 8, height)
                emit("image", Image.frombytes("1", size, bitmap, "raw", "1;I"))
                i += len(bitmap)
            elif command == b"(":
                head = need(5)
                if head[2:3] != b"k":
                    raise ValueError(f"unknown command GS ( {head[2:3]!r} at {i}")
                body = need(5 + head[3] + 256 * head[4])[5:]
                if len(body) < 2 or body[:1] != b"1" or body[1] not in (65, 67, 69, 80, 81):
                    raise ValueError(f"GS ( k for {body[:2]!r} at {i}")
                if body[1] == 80:  # store the data; "m" is b"0"
                    emit("qr", body[3:].decode("utf-8"))
                i += 5 + len(body)
            elif command == b"V":
                mode = need(3)[2]
                if mode not in (0, 1, 48, 49, 65, 66):
                    raise ValueError(f"GS V with mode {mode} at {i}")
                emit("cut")
                i += len(need(4 if mode in (65, 66) else 3))  # modes 65, 66 feed n first
            elif command in _GS_SKIP:
                i += len(need(2 + _GS_SKIP[command]))
            else:
                raise ValueError(f"unknown command GS {command!r} at {i}")
        elif byte == LF or 0x20 <= byte < 0x7F or byte >= 0x80:
            char = chr(byte) if byte < 0x80 else _code_page(profile, page)[byte - 0x80]
            if char is None:
                raise ValueError(f"byte {byte:#x} at {i} means nothing on code page {page}")
            text.append(char)
            i += 1
        else:
            raise ValueError(f"unexpected control byte {byte:#x} at {i}")
    if text:
        events.append(("text", "".join(text)))
    return events
