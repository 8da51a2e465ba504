"""VietQR payloads: the published examples, the CRC, every TLV length, refusals, the QR image.

The CRC is checked against :func:`binascii.crc_hqx` (the standard library's CRC-CCITT, which
with an initial 0xFFFF is CRC-16/CCITT-FALSE) and the TLV lengths by a walker written again
here, so the tests do not trust the code they test.
"""

from __future__ import annotations

import binascii
import re
import shutil
import subprocess
from io import BytesIO
from xml.dom.minidom import parseString

import pytest
import zxingcpp
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from shop.domain.vietqr import (
    MAX_AMOUNT_DONG,
    BankAccount,
    VietQRError,
    ascii_purpose,
    crc16_ccitt_false,
    parse,
    payload,
    qr_png,
    qr_svg,
)
from tests.conftest import IN_CI

# Published payloads (NAPAS / bank examples), reproduced character for character.
FLOOD_RELIEF = (
    "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA5303704"
    "54061200005802VN62170813ung ho lu lut6304C15C"
)
STATIC = (
    "00020101021138540010A00000072701240006970423011000999999990208QRIBFTTA53037045802VN6304CBB4"
)
VIETINBANK = BankAccount("970415", "0011001932418")
TPBANK = BankAccount("970423", "0099999999")

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxy AĂÂĐÊÔƠƯ àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợ"
    "ùủũúụừửữứựỳỷỹýỵ ÀÁẠĐỒỮ 0123456789 .,;:!?-/#()\t\n"
)
EMOJI = ["👗", "🧥", "👍🏽", "❤️", "🇻🇳", "\u200b", "\u0301", "Ð", "１２"]
purposes = st.one_of(
    st.none(),
    # Emoji and flags are several code points: draw whole pieces and join them.
    st.lists(st.sampled_from([*VIETNAMESE, *EMOJI]), max_size=60).map("".join),
    st.text(max_size=40),
)
bins = st.from_regex(r"[0-9]{6}", fullmatch=True)
accounts = st.from_regex(r"[0-9A-Za-z]{1,19}", fullmatch=True)
amounts = st.one_of(st.none(), st.integers(min_value=1, max_value=MAX_AMOUNT_DONG))


def _tlv_walk(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into (tag, value) pairs, asserting every length is right and all is used."""
    pairs = []
    position = 0
    while position < len(text):
        assert re.fullmatch(r"[0-9]{4}", text[position : position + 4]), text[position:]
        tag, length = text[position : position + 2], int(text[position + 2 : position + 4])
        value = text[position + 4 : position + 4 + length]
        assert len(value) == length, (tag, length, value)
        pairs.append((tag, value))
        position += 4 + length
    return pairs


def _with_crc(body: str) -> str:
    """``body`` (ending in "6304") with its CRC, computed by the standard library."""
    assert body.endswith("6304")
    return body + f"{binascii.crc_hqx(body.encode(), 0xFFFF):04X}"


# --- the CRC -------------------------------------------------------------------------------


def test_crc_check_value():
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


@given(st.binary(max_size=300))
def test_crc_agrees_with_the_standard_library(data):
    assert crc16_ccitt_false(data) == binascii.crc_hqx(data, 0xFFFF)


def test_published_crcs():
    for published in (FLOOD_RELIEF, STATIC):
        assert _with_crc(published[:-4]) == published


# --- the published payloads ----------------------------------------------------------------


def test_dynamic_payload_is_reproduced_exactly():
    assert payload(VIETINBANK, 120_000, "ung ho lu lut") == FLOOD_RELIEF


def test_static_payload_is_reproduced_exactly():
    assert payload(TPBANK) == STATIC


def test_parse_of_the_published_payloads():
    assert parse(FLOOD_RELIEF) == {
        "bin": "970415",
        "account": "0011001932418",
        "amount_dong": 120_000,
        "purpose": "ung ho lu lut",
        "service": "QRIBFTTA",
        "dynamic": True,
    }
    assert parse(STATIC) == {
        "bin": "970423",
        "account": "0099999999",
        "amount_dong": None,
        "purpose": None,
        "service": "QRIBFTTA",
        "dynamic": False,
    }


def test_fields_in_the_order_napas_publishes():
    assert [tag for tag, _ in _tlv_walk(FLOOD_RELIEF)] == [
        "00",
        "01",
        "38",
        "53",
        "54",
        "58",
        "62",
        "63",
    ]


# --- a CRC below 0x1000 keeps its leading zeros --------------------------------------------


@pytest.mark.parametrize("below", [0x1000, 0x100])
def test_a_small_crc_is_zero_padded(below):
    # About one amount in 16 (in 256) gives a CRC below 0x1000 (0x100): try them in order.
    for amount in range(1, 20_000):
        text = payload(VIETINBANK, amount, "Hoa don 7")
        crc = crc16_ccitt_false(text[:-4].encode())
        if crc < below:
            break
    else:
        pytest.fail(f"no amount below 20.000 gives a CRC below {below:#x}")
    assert len(text) == len(text[:-4]) + 4
    assert text[-8:] == "6304" + f"{crc:04X}"
    assert text[-4] == "0"
    assert text == _with_crc(text[:-4])
    assert parse(text)["amount_dong"] == amount


# --- round trips ---------------------------------------------------------------------------


@given(bins, accounts, amounts, purposes, st.booleans())
@example("970415", "0011001932418", 120_000, "Ủng hộ lũ lụt 👗", False)
@example("970436", "1" * 19, MAX_AMOUNT_DONG, "Đ" * 40, True)
@example("970436", "9704366614", 1, "👗👗👗", False)
def test_round_trip(bank_bin, account, amount, purpose, card):
    text = payload(BankAccount(bank_bin, account), amount, purpose, card=card)
    assert text.isascii()
    # Its own CRC, as the standard library computes it, zero-padded upper-case hex.
    assert text == _with_crc(text[:-4])
    # Every length is right, at every level, and nothing is left over.
    fields = dict(_tlv_walk(text))
    merchant = dict(_tlv_walk(fields["38"]))
    beneficiary = dict(_tlv_walk(merchant["01"]))
    assert beneficiary == {"00": bank_bin, "01": account}
    plain = ascii_purpose(purpose) if purpose is not None else ""
    if plain:
        assert dict(_tlv_walk(fields["62"])) == {"08": plain}
    else:
        assert "62" not in fields
    assert ("54" in fields) == (amount is not None)

    assert parse(text) == {
        "bin": bank_bin,
        "account": account,
        "amount_dong": amount,
        "purpose": plain or None,
        "service": "QRIBFTTC" if card else "QRIBFTTA",
        "dynamic": amount is not None,
    }


def test_a_static_code_may_carry_a_purpose():
    text = payload(TPBANK, None, "Hóa đơn 12")
    assert dict(_tlv_walk(text))["01"] == "11"
    assert parse(text)["purpose"] == "Hoa don 12"
    assert parse(text)["amount_dong"] is None


@pytest.mark.parametrize("purpose", ["", "   ", "👗🧥", "!!!", "\u0301"])
def test_a_purpose_that_comes_out_empty_leaves_tag_62_out(purpose):
    assert payload(VIETINBANK, 120_000, purpose) == payload(VIETINBANK, 120_000)
    assert "62" not in dict(_tlv_walk(payload(VIETINBANK, 120_000, purpose)))


def test_card_transfer():
    text = payload(BankAccount("970436", "9704366614123456789"), 50_000, card=True)
    assert dict(_tlv_walk(dict(_tlv_walk(text))["38"]))["02"] == "QRIBFTTC"
    assert parse(text)["service"] == "QRIBFTTC"


# --- the purpose in plain ASCII ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Mua hàng số 123", "Mua hang so 123"),
        ("Ủng hộ lũ lụt", "Ung ho lu lut"),
        ("ĐẶNG Thị Đào đẹp", "DANG Thi Dao dep"),
        ("Ðỗ", "Do"),  # U+00D0, the look-alike old keyboards type for Đ
        ("Hoa\u0300 đơn", "Hoa don"),  # already decomposed, as some phones send it
        ("  Áo   khoác\tđỏ\n ", "Ao khoac do"),
        ("Áo 👗 và váy🧥!!", "Ao va vay"),
        ("Hóa đơn #12/2026", "Hoa don 12 2026"),
        ("Hóa đơn １２３", "Hoa don 123"),
        ("Mua hàng của chị Nguyễn Thị Hồng", "Mua hang cua chi Nguyen T"),
        ("Thanh toán tiền áo khoác đỏ", "Thanh toan tien ao khoac"),  # no trailing space
        ("", ""),
        ("😀", ""),
    ],
)
def test_ascii_purpose(text, plain):
    assert ascii_purpose(text) == plain


@given(purposes.filter(lambda text: text is not None))
def test_ascii_purpose_is_plain_short_and_stable(text):
    plain = ascii_purpose(text)
    assert len(plain) <= 25
    assert re.fullmatch(r"([A-Za-z0-9]+( [A-Za-z0-9]+)*)?", plain)
    assert ascii_purpose(plain) == plain


@given(st.lists(st.from_regex(r"[A-Za-z0-9]{1,6}", fullmatch=True), max_size=3))
def test_plain_ascii_is_kept_as_it_is(words):
    text = " ".join(words)
    assert ascii_purpose(text) == text


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bank_bin", "account", "code"),
    [
        ("97041", "0011001932418", "bin"),
        ("9704151", "0011001932418", "bin"),
        ("97041a", "0011001932418", "bin"),
        ("９７０４１５", "0011001932418", "bin"),  # full-width digits are digits to \d
        ("970415\n", "0011001932418", "bin"),
        (970415, "0011001932418", "bin"),
        ("970415", "", "account"),
        ("970415", "1" * 20, "account"),
        ("970415", "0011-001932418", "account"),
        ("970415", "0011 001932418", "account"),
        ("970415", "tàikhoản", "account"),
        ("970415", "123\n", "account"),
    ],
)
def test_bank_account_refuses(bank_bin, account, code):
    with pytest.raises(VietQRError) as caught:
        BankAccount(bank_bin, account)
    assert caught.value.code == code


def test_bank_account_keeps_its_holder_name():
    account = BankAccount("970415", "0011001932418", "NGUYEN THI HONG")
    assert account.name == "NGUYEN THI HONG"
    assert payload(account, 1_000) == payload(BankAccount("970415", "0011001932418"), 1_000)
    with pytest.raises(VietQRError) as caught:
        BankAccount("970415", "0011001932418", None)  # type: ignore[arg-type]
    assert caught.value.code == "name"


@pytest.mark.parametrize("amount", [0, -1, True, False, 1.5, 120_000.0, "120000", 10**13])
def test_payload_refuses_amounts(amount):
    with pytest.raises(VietQRError) as caught:
        payload(VIETINBANK, amount)
    assert caught.value.code == "amount"


def test_payload_refuses_a_purpose_that_is_not_text():
    with pytest.raises(VietQRError) as caught:
        payload(VIETINBANK, 1_000, 123)  # type: ignore[arg-type]
    assert caught.value.code == "purpose"


def test_a_corrupted_payload_fails_its_crc():
    corrupted = FLOOD_RELIEF.replace("54061200005802", "54061800005802")
    with pytest.raises(VietQRError) as caught:
        parse(corrupted)
    assert caught.value.code == "crc"


@given(st.data())
def test_any_one_wrong_character_fails_the_crc(data):
    # A CRC-16 catches every error burst of up to 16 bits, so every single changed
    # character; the CRC digits themselves are changed to other upper-case hex digits.
    position = data.draw(st.integers(min_value=0, max_value=len(FLOOD_RELIEF) - 1))
    if position < len(FLOOD_RELIEF) - 4:
        alphabet = [chr(code) for code in range(32, 127)]
    else:
        alphabet = list("0123456789ABCDEF")
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != FLOOD_RELIEF[position]))
    corrupted = FLOOD_RELIEF[:position] + replacement + FLOOD_RELIEF[position + 1 :]
    if corrupted[-8:-4] != "6304":
        return  # the CRC tag itself is broken: that is a format error, tested below
    with pytest.raises(VietQRError) as caught:
        parse(corrupted)
    assert caught.value.code == "crc"


_BODY = FLOOD_RELIEF[:-4]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "6304",
        FLOOD_RELIEF[:-1],
        FLOOD_RELIEF.lower(),
        FLOOD_RELIEF + "\n",
        FLOOD_RELIEF.replace("6304C15C", "6305C15C"),
        # The rest are well-formed CRCs over broken bodies.
        _with_crc("6304"),
        _with_crc(_BODY.replace("000201", "000202", 1)),  # payload format 02
        _with_crc(_BODY.replace("010212", "010213", 1)),  # neither static nor dynamic
        _with_crc(_BODY[6:]),  # tag 00 not first
        _with_crc(_BODY.replace("A000000727", "A000000728")),  # not NAPAS
        _with_crc(_BODY.replace("QRIBFTTA", "QRIBFTTX")),
        _with_crc(_BODY.replace("5303704", "5303840")),  # dollars
        _with_crc(_BODY.replace("5802VN", "5802US")),
        _with_crc(_BODY.replace("5406120000", "5406012000")),  # a leading zero
        _with_crc(_BODY.replace("5406120000", "5406120.00")),
        _with_crc(_BODY.replace("0006970415", "000697041A")),  # a BIN that is not digits
        _with_crc(_BODY.replace("0113001100193241802", "0113001100-93241802")),
        _with_crc(_BODY.replace("5802VN", "5802VN5802VN")),  # a tag twice
        _with_crc(_BODY.replace("5802VN", "5803VN")),  # a length that runs over
        _with_crc(_BODY.replace("62170813", "62170814")),  # inside tag 62
        _with_crc(_BODY.replace("5802VN", "5X02VN")),  # a tag that is not digits
        _with_crc(_BODY.replace("5802VN", "5800")),  # an empty value
        _with_crc(_BODY[:-4] + "6304ABCD6304"),  # the CRC tag twice
    ],
)
def test_parse_refuses_a_broken_structure(text):
    with pytest.raises(VietQRError) as caught:
        parse(text)
    assert caught.value.code == "format"


def test_parse_ignores_tags_it_does_not_use():
    # A merchant name (59) and a bill number (62/01) as other issuers add them.
    body = _BODY.replace("5802VN", "5802VN5906NEW ME").replace(
        "62170813ung ho lu lut", "62240103S120813ung ho lu lut"
    )
    assert parse(_with_crc(body)) == parse(FLOOD_RELIEF)


# --- the QR code ---------------------------------------------------------------------------


def test_png_reads_back_exactly():
    png = qr_png(FLOOD_RELIEF)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(BytesIO(png)) as image:
        found = zxingcpp.read_barcodes(image)
        gray = image.convert("L")
    assert [barcode.text for barcode in found] == [FLOOD_RELIEF]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].ec_level == "M"
    # A quiet zone of 4 modules of 6 px: the outer 24 px all white, the finder right after.
    width, height = gray.size
    assert width == height and width % 6 == 0
    modules = width // 6 - 8
    assert (modules - 17) % 4 == 0  # 21, 25, 29 … modules: a QR symbol, not a Micro QR
    assert gray.crop((0, 0, width, 24)).getextrema() == (255, 255)
    assert gray.crop((0, 0, 24, height)).getextrema() == (255, 255)
    assert gray.getpixel((24, 24)) == 0


@pytest.mark.parametrize("scale", [1, 3])
def test_png_scale(scale):
    with Image.open(BytesIO(qr_png(STATIC, scale=scale))) as image:
        assert image.size[0] % scale == 0
        if scale >= 3:
            assert [barcode.text for barcode in zxingcpp.read_barcodes(image)] == [STATIC]


@pytest.mark.parametrize("scale", [0, -2, True, 1.5])
def test_rendering_refuses_a_bad_scale(scale):
    with pytest.raises(ValueError):
        qr_png(STATIC, scale=scale)


def test_svg_is_a_standalone_document():
    svg = qr_svg(FLOOD_RELIEF)
    assert not svg.startswith("<?xml")  # goes straight into an HTML page
    root = parseString(svg).documentElement  # noqa: S318 - our own output, not a stranger's
    assert root.tagName == "svg"
    assert root.getAttribute("xmlns") == "http://www.w3.org/2000/svg"
    assert root.getElementsByTagName("path")
    # Sized by the page, not by itself: a viewBox in modules (a version's 17 + 4v modules
    # and the quiet zone of 4 on each side), no fixed width or height to crop it.
    assert not root.getAttribute("width") and not root.getAttribute("height")
    left, top, width, height = (int(n) for n in root.getAttribute("viewBox").split())
    assert (left, top) == (0, 0) and width == height
    assert ((width - 8) - 17) % 4 == 0
    assert 'fill="#fff"' in svg  # a white background, not transparent


def test_svg_reads_back_exactly(tmp_path):
    """The SVG drawn by WeasyPrint into a PDF, the PDF by poppler into pixels, read by zxing."""
    if not shutil.which("pdftoppm"):
        reason = "poppler-utils is not installed (pdftoppm): apt-get install poppler-utils"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from weasyprint import HTML  # heavy, and only this test needs it

    page = (
        "<html><head><style>@page { size: 80mm 80mm; margin: 10mm }</style></head>"
        f"<body><div style='width: 40mm'>{qr_svg(FLOOD_RELIEF)}</div></body></html>"
    )
    (tmp_path / "qr.pdf").write_bytes(HTML(string=page).write_pdf())
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-singlefile", "-gray"]
        + [str(tmp_path / "qr.pdf"), str(tmp_path / "qr")],
        check=True,
    )
    with Image.open(tmp_path / "qr.png") as image:
        found = zxingcpp.read_barcodes(image)
    assert [barcode.text for barcode in found] == [FLOOD_RELIEF]


def test_the_head_is_where_every_payload_to_the_account_begins():
    from shop.domain import vietqr

    account = vietqr.BankAccount("970415", "0123456789", "NGUYEN THI HONG")
    whole = vietqr.payload(account, 45000, "NEWME Hoa don 1A2B3C4D")
    assert whole.startswith(vietqr.head(account) + "540545000")
    assert vietqr.payload(account).startswith(vietqr.head(account, dynamic=False) + "5802VN")
