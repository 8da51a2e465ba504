"""VietQR: the NAPAS 247 bank-transfer code the counter shows, built and read in pure Python.

A VietQR code is an EMVCo merchant-presented QR payload: a string of TLV fields, each a
two-digit ID, a two-digit length (the value's length in characters) and the value. A banking
app that scans it fills in the receiving bank and account, the amount in whole đồng and the
purpose of the transfer, so the buyer only confirms. The fields used here:

- ``00`` payload format, always ``01``;
- ``01`` ``11`` static (the buyer types the amount) or ``12`` dynamic (the amount is given);
- ``38`` merchant account: ``00`` the NAPAS GUID ``A000000727``, ``01`` [``00`` the bank's
  6-digit BIN, ``01`` the account or card number], ``02`` the service ``QRIBFTTA`` (to an
  account) or ``QRIBFTTC`` (to a card);
- ``53`` currency, ``704`` (VND); ``54`` the amount in whole đồng, digits only, absent from
  a static code; ``58`` country, ``VN``;
- ``62`` additional data: ``08`` the purpose, plain ASCII, at most 25 characters; absent
  when there is no purpose;
- ``63`` ``04`` + the CRC-16/CCITT-FALSE of everything before it *including* ``6304``, as
  four upper-case hex digits, zero-padded.

Everything we write is ASCII, so characters and bytes are the same thing in our payloads.
Amounts are Python ints of đồng, as everywhere in the shop.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import segno

#: The NAPAS globally unique identifier that marks tag 38 as a VietQR account.
NAPAS_GUID = "A000000727"
#: Tag 38 subfield 02: a transfer to a bank account, or to a card number.
SERVICE_ACCOUNT = "QRIBFTTA"
SERVICE_CARD = "QRIBFTTC"
#: The longest purpose (tag 62 subfield 08) banks accept, in characters.
MAX_PURPOSE = 25
#: EMVCo caps tag 54 at 13 characters; VND has no minor unit, so 13 digits of đồng.
MAX_AMOUNT_DONG = 10**13 - 1

_BIN = re.compile(r"[0-9]{6}")
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,19}")
_AMOUNT = re.compile(r"[1-9][0-9]{0,12}")
_CRC_TAIL = re.compile(r"6304[0-9A-F]{4}")
# Letters that look like Đ but are other code points, typed by old keyboards and converters.
_D_LIKE = str.maketrans({"đ": "d", "Đ": "D", "Ð": "D", "ð": "d"})


class VietQRError(ValueError):
    """A VietQR payload that cannot be made or read. ``code`` says why, for a message.

    Codes: ``bin``, ``account``, ``name``, ``amount``, ``purpose`` (building); ``crc``,
    ``format`` (reading).
    """

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class BankAccount:
    """Where transfers go: the bank's NAPAS BIN, the account (or card) number, its holder.

    ``bin`` is exactly 6 ASCII digits; ``account`` is 1 to 19 ASCII letters or digits (the
    same patterns as the journal's ``shop.bank``). ``name`` is only shown beside the code:
    VietQR does not carry it, the buyer's bank looks the holder up itself.
    """

    bin: str
    account: str
    name: str = ""

    def __post_init__(self) -> None:
        # fullmatch, not match with "$": "$" would let a trailing newline through.
        if not isinstance(self.bin, str) or not _BIN.fullmatch(self.bin):
            raise VietQRError("bin")
        if not isinstance(self.account, str) or not _ACCOUNT.fullmatch(self.account):
            raise VietQRError("account")
        if not isinstance(self.name, str):
            raise VietQRError("name")


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE of ``data``: poly 0x1021, init 0xFFFF, no reflection, no xorout.

    Returns an int in 0..0xFFFF. The check value (the CRC of ``b"123456789"``) is 0x29B1.
    """
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def ascii_purpose(text: str) -> str:
    """The purpose of a transfer as banks accept it: plain ASCII, at most 25 characters.

    Vietnamese loses its diacritics ("Mua hàng số 123" → "Mua hang so 123"; đ/Đ → d/D).
    Only ASCII letters, digits and single spaces remain: any other character (punctuation,
    emoji, other scripts) separates words like a space, so "12/2026" stays two numbers.
    The result has no leading or trailing space, is cut to :data:`MAX_PURPOSE` characters
    and may be empty. Applying it twice changes nothing.
    """
    if not isinstance(text, str):
        raise VietQRError("purpose")
    # NFKD rather than NFD: it also takes apart precomposed letters *and* turns full-width
    # digits and letters, which some phone keyboards type, into their ASCII forms.
    decomposed = unicodedata.normalize("NFKD", text.translate(_D_LIKE))
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        kept.append(char if char.isascii() and char.isalnum() else " ")
    words = "".join(kept).split()
    return " ".join(words)[:MAX_PURPOSE].rstrip()


def payload(
    account: BankAccount,
    amount_dong: int | None = None,
    purpose: str | None = None,
    *,
    card: bool = False,
) -> str:
    """The VietQR payload string for a transfer to ``account``, CRC included.

    ``amount_dong`` is a positive int of whole đồng with at most 13 digits, or ``None`` for a
    static code where the buyer types the amount. ``purpose`` goes through
    :func:`ascii_purpose`; when that leaves nothing, tag 62 is left out. ``card`` sends to a
    card number instead of an account. Raises :class:`VietQRError` with code ``amount``
    (zero, negative, too long, a bool or not an int) or ``purpose`` (not a str).
    """
    if not isinstance(account, BankAccount):
        raise TypeError(f"account must be a BankAccount, not {type(account).__name__}")
    if amount_dong is not None:
        # bool is an int in Python; True đồng is never what the counter meant.
        if isinstance(amount_dong, bool) or not isinstance(amount_dong, int):
            raise VietQRError("amount")
        if not 0 < amount_dong <= MAX_AMOUNT_DONG:
            raise VietQRError("amount")
    plain_purpose = ascii_purpose(purpose) if purpose is not None else ""

    fields = [head(account, dynamic=amount_dong is not None, card=card)]
    if amount_dong is not None:
        fields.append(_tlv("54", str(amount_dong)))
    fields.append(_tlv("58", "VN"))
    if plain_purpose:
        fields.append(_tlv("62", _tlv("08", plain_purpose)))
    body = "".join(fields) + "6304"
    return body + _crc_text(body)


def head(account: BankAccount, *, dynamic: bool = True, card: bool = False) -> str:
    """The fields of a payload before the amount (tags 00, 01, 38 and 53): the same for
    every transfer to ``account``. The counter page, with no link, adds the amount, the
    country, the purpose and the CRC to it as :func:`payload` does."""
    beneficiary = _tlv("00", account.bin) + _tlv("01", account.account)
    merchant = (
        _tlv("00", NAPAS_GUID)
        + _tlv("01", beneficiary)
        + _tlv("02", SERVICE_CARD if card else SERVICE_ACCOUNT)
    )
    return (
        _tlv("00", "01") + _tlv("01", "12" if dynamic else "11") + _tlv("38", merchant)
        + _tlv("53", "704")
    )  # fmt: skip


def parse(payload: str) -> dict[str, Any]:
    """Read a VietQR payload back: the reverse of :func:`payload`, for a scanned code too.

    Checks the CRC first (code ``crc``), then the TLV structure and the VietQR fields (code
    ``format``): the format tag first, the CRC tag last, no tag twice, the NAPAS GUID, a
    6-digit BIN, a valid account, the service, VND and VN. Tags it does not use (a merchant
    name, a bill number) are allowed and ignored. Returns ``bin``, ``account``,
    ``amount_dong`` (int of đồng or ``None``), ``purpose`` (str or ``None``), ``service``
    (``QRIBFTTA`` or ``QRIBFTTC``) and ``dynamic`` (tag 01 is ``12``).
    """
    if not isinstance(payload, str) or not _CRC_TAIL.fullmatch(payload[-8:]):
        raise VietQRError("format")
    # Other issuers may put UTF-8 in optional tags; the CRC is over the bytes sent.
    if _crc_text(payload[:-4]) != payload[-4:]:
        raise VietQRError("crc")

    fields = _fields(payload)
    ids = list(fields)
    # The CRC tag must be the last field and exactly the eight characters checked above.
    if ids[0] != "00" or ids[-1] != "63" or len(fields["63"]) != 4 or fields["00"] != "01":
        raise VietQRError("format")
    if fields.get("01") not in {"11", "12"}:
        raise VietQRError("format")
    if fields.get("53") != "704" or fields.get("58") != "VN":
        raise VietQRError("format")

    merchant = _fields(fields.get("38", ""))
    if merchant.get("00") != NAPAS_GUID:
        raise VietQRError("format")
    beneficiary = _fields(merchant.get("01", ""))
    bank_bin, account = beneficiary.get("00", ""), beneficiary.get("01", "")
    if not _BIN.fullmatch(bank_bin) or not _ACCOUNT.fullmatch(account):
        raise VietQRError("format")
    service = merchant.get("02")
    if service not in {SERVICE_ACCOUNT, SERVICE_CARD}:
        raise VietQRError("format")

    amount = fields.get("54")
    if amount is not None and not _AMOUNT.fullmatch(amount):
        raise VietQRError("format")
    purpose = _fields(fields["62"]).get("08") if "62" in fields else None

    return {
        "bin": bank_bin,
        "account": account,
        "amount_dong": int(amount) if amount is not None else None,
        "purpose": purpose,
        "service": service,
        "dynamic": fields["01"] == "12",
    }


def qr_svg(payload: str) -> str:
    """The QR code of ``payload`` as an SVG document that scales whole, for pages.

    Error correction M exactly (not raised to a higher level), a quiet zone of 4 modules,
    black on white. The drawing has a ``viewBox`` in modules and no fixed width or height,
    so the stylesheet sets its size and the code shrinks or grows as one piece, quiet zone
    included (a fixed size with no viewBox is cropped, not shrunk, and no phone can read
    it). There is no XML declaration, so the text can be put straight into an HTML page.
    """
    # segno writes SVG as encoded bytes (UTF-8 by default) even without a declaration. The
    # white background is drawn, not left transparent: a phone cannot read black on a dark
    # page, and the quiet zone has to be light too. omitsize=True is segno's way of writing
    # a viewBox instead of width and height.
    out = io.BytesIO()
    _qr(payload).save(
        out,
        kind="svg",
        scale=1,
        border=4,
        xmldecl=False,
        omitsize=True,
        dark="#000",
        light="#fff",
        svgclass="segno vietqr",
    )
    return out.getvalue().decode("utf-8").replace("<svg ", '<svg shape-rendering="crispEdges" ', 1)


def qr_png(payload: str, *, scale: int = 6) -> bytes:
    """The QR code of ``payload`` as PNG bytes, for receipts.

    Error correction M exactly, a quiet zone of 4 modules, black on white; ``scale`` is the
    size of one module in pixels (an int ≥ 1).
    """
    out = io.BytesIO()
    _qr(payload).save(out, kind="png", scale=_scale(scale), border=4)
    return out.getvalue()


def _tlv(tag: str, value: str) -> str:
    """One EMVCo field: the two-digit ``tag``, the two-digit length of ``value``, ``value``."""
    if len(value) > 99:
        # Unreachable with validated input: the longest field we build is tag 38 (63 chars).
        raise VietQRError("format")
    return f"{tag}{len(value):02d}{value}"


def _crc_text(body: str) -> str:
    """The CRC of ``body`` as tag 63 writes it: four upper-case hex digits, zero-padded."""
    return f"{crc16_ccitt_false(body.encode('utf-8')):04X}"


def _fields(text: str) -> dict[str, str]:
    """Split ``text`` into its TLV fields, in order; any malformation is code ``format``."""
    fields: dict[str, str] = {}
    position = 0
    while position < len(text):
        head = text[position : position + 4]
        if len(head) < 4 or not head.isascii() or not head.isdigit():
            raise VietQRError("format")
        tag, length = head[:2], int(head[2:])
        value = text[position + 4 : position + 4 + length]
        if length == 0 or len(value) != length or tag in fields:
            raise VietQRError("format")
        fields[tag] = value
        position += 4 + length
    if not fields:
        raise VietQRError("format")
    return fields


def _qr(payload: str) -> segno.QRCode:
    # make_qr, never make: segno.make picks a Micro QR for short text, which banking apps
    # cannot read. boost_error=False keeps the level the counter was designed for.
    if not isinstance(payload, str) or not payload:
        raise ValueError("nothing to encode")
    return segno.make_qr(payload, error="m", boost_error=False)


def _scale(scale: int) -> int:
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be an int ≥ 1, not {scale!r}")
    return scale
