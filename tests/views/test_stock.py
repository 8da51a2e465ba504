import re

import pytest

from shop.extensions import db
from tests.conftest import save_shop


@pytest.fixture
def shop(app, coordinator, member):
    from shop.services import stock as svc

    with app.app_context():
        svc.seed_categories(db.session)
        db.session.commit()


def category_id(app, name):
    from shop.services import stock as svc

    with app.app_context():
        return next(c.id for c in svc.categories(db.session) if c.name == name)


def new_intake(client, **data):
    response = client.post("/intake/new", data={"kind": "donation", **data})
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def test_record_a_bag_of_donated_clothes(as_member, shop, app):
    page = as_member.get("/intake/new")
    assert "Ghi nhập hàng" in page.text and "Hàng được tặng" in page.text
    where = new_intake(as_member, donor_name="Văn phòng LIGHT", donor_organisation="LIGHT")
    ao = category_id(app, "Áo")
    form = as_member.get(where)
    assert "Thêm một món" in form.text
    saved = as_member.post(
        where,
        data={
            "category": ao,
            "description": "Áo sơ mi trắng",
            "size": "M",
            "condition": "good",
            "price_dong": "50k",
        },
    )
    assert saved.status_code == 303
    # The form stays open with the same category and condition.
    assert f"category={ao}" in saved.headers["Location"]
    again = as_member.get(saved.headers["Location"])
    assert "Đã lưu với mã 10008." in again.text
    assert re.search(rf'<option selected value="{ao}">|<option value="{ao}" selected>', again.text)
    as_member.post(
        where,
        data={
            "category": ao,
            "description": "Áo phông",
            "condition": "fair",
            "price_dong": "20.000",
        },
    )
    listing = as_member.get(where)
    assert listing.text.count('class="item-row"') == 2
    assert "In tem giá (tờ A4)" in listing.text
    assert "Văn phòng LIGHT" in as_member.get("/intake/").text


def test_item_form_says_what_is_wrong_beside_each_field(as_member, shop, app):
    where = new_intake(as_member)
    response = as_member.post(where, data={"category": "999", "price_dong": "abc", "is_lot": "y"})
    assert response.status_code == 422
    assert "Hãy chọn loại hàng." in response.text
    assert "Viết số tiền bằng chữ số" in response.text
    assert "Hãy nhập số lượng." in response.text
    blank = as_member.post(where, data={"category": category_id(app, "Áo")})
    assert "Hãy nhập giá." in blank.text
    assert 'class="item-row"' not in as_member.get(where).text


def test_lot_and_consignment(as_member, shop, app):
    where = new_intake(as_member)
    response = as_member.post(
        where,
        data={
            "category": category_id(app, "Phụ kiện"),
            "description": "Tất",
            "is_lot": "y",
            "quantity": "40",
            "price_dong": "10k",
        },
    )
    assert response.status_code == 303
    assert "còn 40/40" in as_member.get(where).text
    missing_owner = as_member.post("/intake/new", data={"kind": "consignment", "owner": ""})
    assert missing_owner.status_code == 422
    assert "Hãy chọn thành viên có hàng ký gửi." in missing_owner.text
    mine = new_intake(as_member, kind="consignment", owner="2")
    as_member.post(
        mine,
        data={
            "category": category_id(app, "Váy, đầm"),
            "price_dong": "120k",
            "condition": "like_new",
        },
    )
    my_page = as_member.get("/stock/mine")
    assert "120.000" in my_page.text and "Váy, đầm" in my_page.text


def test_purchase_needs_a_supplier_and_a_sane_cost(as_coordinator, shop):
    response = as_coordinator.post("/intake/new", data={"kind": "purchase", "cost": "-5"})
    assert response.status_code == 422
    assert (
        "Hãy nhập nơi mua kiện hàng." in response.text or "Số tiền không được âm." in response.text
    )
    ok = as_coordinator.post(
        "/intake/new", data={"kind": "purchase", "supplier": "Ninh Hiệp", "cost": "1tr2"}
    )
    assert ok.status_code == 303


def test_future_day_is_refused(as_member, shop, clock):
    response = as_member.post("/intake/new", data={"kind": "donation", "received_on": "2030-01-01"})
    assert response.status_code == 422 and "Ngày không thể ở tương lai." in response.text


def test_back_dated_intake_counts_its_days_from_that_day(as_member, shop, app, clock):
    where = new_intake(as_member, received_on="01/08/2026")
    as_member.post(where, data={"category": category_id(app, "Áo"), "price_dong": "50k"})
    page = as_member.get("/stock/10008")
    # 1 August to 20 November is 111 days: 50% off and on the clearance list.
    assert "111 ngày" in page.text and "25.000" in page.text and "Thanh lý" in page.text
    assert "10008" in as_member.get("/stock/clearance").text


def test_search_scan_and_item_page(as_member, shop, app):
    where = new_intake(as_member)
    as_member.post(
        where,
        data={
            "category": category_id(app, "Áo khoác"),
            "description": "Áo khoác gió",
            "size": "L",
            "price_dong": "80k",
        },
    )
    found = as_member.get("/stock/?q=ao+khoac+gio")
    assert "Tìm thấy 1" in found.text and "10008" in found.text
    scanned = as_member.get("/stock/?q=10008")
    assert scanned.status_code == 302 and scanned.headers["Location"] == "/stock/10008"
    assert "Tìm thấy 0" in as_member.get("/stock/?q=zzz").text
    item = as_member.get("/stock/10008")
    assert "80.000" in item.text and "Áo khoác gió" in item.text
    assert as_member.get("/stock/nope").status_code == 404


def test_change_price_on_the_item_page(as_member, shop, app):
    where = new_intake(as_member)
    as_member.post(where, data={"category": category_id(app, "Áo"), "price_dong": "50k"})
    refused = as_member.post(
        "/stock/10008", data={"action": "price", "price-price_dong": "40k", "price-reason": ""}
    )
    assert refused.status_code == 422 and "Hãy ghi lý do đổi giá." in refused.text
    ok = as_member.post(
        "/stock/10008",
        data={"action": "price", "price-price_dong": "40k", "price-reason": "vết bẩn"},
    )
    assert ok.status_code == 303
    page = as_member.get("/stock/10008")
    assert "50.000\u00a0₫ → 40.000\u00a0₫" in page.text and "vết bẩn" in page.text


def test_disposals_on_the_item_page(as_member, shop, app, client):
    mine = new_intake(as_member, kind="consignment", owner="2")
    as_member.post(mine, data={"category": category_id(app, "Áo"), "price_dong": "50k"})
    page = as_member.get("/stock/10008")
    assert "Đã trả chủ hàng" in page.text and "Đã bỏ đi" not in page.text
    no_consent = as_member.post(
        "/stock/10008", data={"action": "dispose", "out-kind": "given_to_group"}
    )
    assert no_consent.status_code == 422
    assert "Hãy đánh dấu là chủ hàng đồng ý cho nhóm." in no_consent.text
    given = as_member.post(
        "/stock/10008",
        data={"action": "dispose", "out-kind": "given_to_group", "out-owner_consents": "y"},
    )
    assert given.status_code == 303
    assert "nhóm (Nguyễn Thị Ngọc đã cho)" in as_member.get("/stock/10008").text
    # Writing off is for coordinators.
    refused = as_member.post("/stock/10008", data={"action": "dispose", "out-kind": "written_off"})
    assert refused.status_code == 403


def test_summary_and_price_table(as_coordinator, shop, app):
    where = new_intake(as_coordinator)
    ao = category_id(app, "Áo")
    as_coordinator.post(where, data={"category": ao, "price_dong": "50k"})
    summary = as_coordinator.get("/stock/summary")
    assert "50.000" in summary.text and "Áo" in summary.text
    bad = as_coordinator.post("/stock/prices", data={"action": "prices", f"p-{ao}-good": "xyz"})
    assert bad.status_code == 422 and "Viết số tiền bằng chữ số" in bad.text
    ok = as_coordinator.post("/stock/prices", data={"action": "prices", f"p-{ao}-good": "45k"})
    assert ok.status_code == 303
    assert f'"{ao}:good": 45000' in as_coordinator.get(where).text.replace("&#34;", '"')
    added = as_coordinator.post("/stock/prices", data={"action": "category", "cat-name": "Đồ ngủ"})
    assert added.status_code == 303 and "Đồ ngủ" in as_coordinator.get("/stock/prices").text


def test_member_cannot_edit_the_price_table(as_member, shop):
    assert as_member.get("/stock/prices").status_code == 403


def test_hostile_text_is_shown_as_text(as_member, shop, app):
    where = new_intake(as_member, donor_name="<script>alert(1)</script>")
    as_member.post(
        where,
        data={
            "category": category_id(app, "Áo"),
            "price_dong": "5k",
            "description": "<img src=x onerror=alert(1)>",
        },
    )
    for page in (as_member.get(where), as_member.get("/stock/10008"), as_member.get("/intake/")):
        assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text


def test_page_month_colours_match_the_printed_tags():
    from pathlib import Path

    from shop.printing.tags import MONTH_COLOURS

    css = (Path(__file__).resolve().parents[2] / "static/css/shop.css").read_text()
    for index, colour in enumerate(MONTH_COLOURS):
        assert f".m{index} {{ background: {colour}; }}" in css


def test_tag_sheet_pdf_for_an_intake_and_one_item(as_member, shop, app):
    where = new_intake(as_member)
    as_member.post(
        where,
        data={
            "category": category_id(app, "Áo"),
            "price_dong": "50k",
            "description": "Áo khoác gió",
        },
    )
    sheet = as_member.get(f"{where}/tags.pdf")
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    assert sheet.data.startswith(b"%PDF")
    one = as_member.get("/stock/10008/tag.pdf")
    assert one.status_code == 200 and one.data.startswith(b"%PDF")


def test_photo_upload_is_re_encoded_and_served(as_member, shop, app):
    from io import BytesIO

    from PIL import Image

    where = new_intake(as_member)
    as_member.post(where, data={"category": category_id(app, "Áo"), "price_dong": "50k"})
    picture = BytesIO()
    Image.new("RGB", (3000, 2000), (200, 30, 30)).save(picture, "PNG")
    response = as_member.post(
        "/stock/10008/photo",
        data={"photo": (BytesIO(picture.getvalue()), "ao.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    page = as_member.get("/stock/10008")
    assert "Đã lưu ảnh." in page.text and "/stock/10008/photo.jpg" in page.text
    with as_member.get("/stock/10008/photo.jpg") as photo:
        assert photo.mimetype == "image/jpeg"
        assert Image.open(BytesIO(photo.data)).size == (1600, 1067)


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(as_member, shop, app):
    from io import BytesIO

    from PIL import Image

    where = new_intake(as_member)
    as_member.post(where, data={"category": category_id(app, "Áo"), "price_dong": "50k"})
    # 155 kB that decode to 39.9 million pixels; 25 million, just above the limit; and one
    # so large that Pillow's own check refuses it when it opens the file.
    for size in ((7300, 5466), (5000, 5000), (9000, 6000)):
        picture = BytesIO()
        Image.new("RGB", size, (180, 40, 40)).save(picture, "PNG", compress_level=9)
        response = as_member.post(
            "/stock/10008/photo",
            data={"photo": (BytesIO(picture.getvalue()), "bom.png")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 303, size
        page = as_member.get("/stock/10008").text
        assert "Ảnh có quá nhiều điểm ảnh: tối đa 24 triệu" in page, size
        assert as_member.get("/stock/10008/photo.jpg").status_code == 404


def test_a_phone_photo_is_kept_upright_at_1600_pixels(as_member, shop, app):
    from io import BytesIO

    from PIL import Image

    where = new_intake(as_member)
    as_member.post(where, data={"category": category_id(app, "Áo"), "price_dong": "50k"})
    # A 12-megapixel JPEG taken with the phone on its side: EXIF orientation 6.
    photo = Image.new("RGB", (4000, 3000), (30, 120, 200))
    photo.paste((250, 250, 0), (0, 0, 400, 3000))  # a yellow band on the left as stored
    exif = Image.Exif()
    exif[0x0112] = 6
    picture = BytesIO()
    photo.save(picture, "JPEG", quality=90, exif=exif)
    response = as_member.post(
        "/stock/10008/photo",
        data={"photo": (BytesIO(picture.getvalue()), "ao.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with as_member.get("/stock/10008/photo.jpg") as kept:
        image = Image.open(BytesIO(kept.data))
        assert image.size == (1200, 1600)  # turned upright, 1600 on its long side
        red, green, blue = image.getpixel((600, 40))  # the band is now at the top
        assert red > 200 and green > 200 and blue < 80


def test_not_a_picture_is_refused_with_a_message(as_member, shop, app):
    from io import BytesIO

    where = new_intake(as_member)
    as_member.post(where, data={"category": category_id(app, "Áo"), "price_dong": "50k"})
    response = as_member.post(
        "/stock/10008/photo",
        data={"photo": (BytesIO(b"<html>not a picture</html>"), "x.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert "Đây không phải ảnh" in as_member.get("/stock/10008").text
    assert as_member.get("/stock/10008/photo.jpg").status_code == 404
    empty = as_member.post("/stock/10008/photo", data={}, content_type="multipart/form-data")
    assert empty.status_code == 303


def test_donor_list_counts_drop_offs_and_pieces(as_member, shop, app):
    for _ in range(2):
        where = new_intake(as_member, donor_name="Văn phòng LIGHT", donor_organisation="LIGHT")
        as_member.post(where, data={"category": category_id(app, "Áo"), "price_dong": "5k"})
    new_intake(as_member, donor_name="Chị Mai")
    page = as_member.get("/intake/donors")
    assert "Văn phòng LIGHT · LIGHT" in page.text
    assert "2 lần tặng, 2 món" in page.text
    assert "Chị Mai" in as_member.get("/intake/donors?q=mai").text
    assert "LIGHT" not in as_member.get("/intake/donors?q=mai").text


def _beside(page, field: str) -> str:
    """The message shown beside ``field`` (its error paragraph), or ""."""
    found = re.search(rf'id="{field}-error"[^>]*>.*?<span>([^<]*)</span>', page.text, re.S)
    return found.group(1) if found else ""


def test_a_bale_needs_its_cost_and_its_page_shows_it(as_coordinator, shop):
    no_cost = as_coordinator.post(
        "/intake/new", data={"kind": "purchase", "supplier": "Chợ Ninh Hiệp", "cost": ""}
    )
    assert no_cost.status_code == 422
    assert _beside(no_cost, "cost") == "Nhập giá mua kiện hàng"
    assert 'value="Chợ Ninh Hiệp"' in no_cost.text  # what she typed is kept
    zero = as_coordinator.post(
        "/intake/new", data={"kind": "purchase", "supplier": "Chợ Ninh Hiệp", "cost": "0"}
    )
    assert _beside(zero, "cost") == "Nhập giá mua kiện hàng"
    where = new_intake(as_coordinator, kind="purchase", supplier="Chợ Ninh Hiệp", cost="1tr2")
    page = as_coordinator.get(where)
    cost = re.search(r'data-testid="bale-cost">(.*?)</p>', page.text, re.S).group(1)
    assert "Tiền mua kiện hàng" in cost and "1.200.000" in cost


def test_a_donor_phone_that_is_not_a_phone_is_refused_beside_it(as_member, shop, app):
    bad = as_member.post(
        "/intake/new", data={"kind": "donation", "donor_name": "Chị Mai", "donor_phone": "12ab"}
    )
    assert bad.status_code == 422
    assert _beside(bad, "donor_phone").startswith("Đây không phải số điện thoại")
    assert 'value="12ab"' in bad.text and 'value="Chị Mai"' in bad.text
    new_intake(as_member, donor_name="Chị Mai", donor_phone="+84 912 345 678")
    from shop.models import Donor

    with app.app_context():
        assert db.session.query(Donor.phone).filter_by(name="Chị Mai").scalar() == "0912345678"


def test_the_api_refuses_a_bale_without_cost_and_a_donor_phone_that_is_not_one(
    client, as_coordinator, shop
):
    headers = {}  # CSRF is off in tests: the signed-in session is enough
    bale = client.post(
        "/api/v1/intakes", json={"kind": "purchase", "supplier": "Chợ"}, headers=headers
    )
    assert bale.status_code == 422 and list(bale.json["fields"]) == ["cost"]
    donor = client.post(
        "/api/v1/donors", json={"name": "Chị Mai", "phone": "12ab"}, headers=headers
    )
    assert donor.status_code == 422 and list(donor.json["fields"]) == ["phone"]
    intake = client.post(
        "/api/v1/intakes",
        json={"kind": "donation", "donor_name": "Chị Mai", "donor_phone": "12ab"},
        headers=headers,
    )
    assert intake.status_code == 422 and list(intake.json["fields"]) == ["donor_phone"]


def test_a_lot_prints_as_many_tags_as_wanted_from_any_label_of_a_sheet(as_member, shop, app):
    import subprocess

    where = new_intake(as_member)
    socks = as_member.post(
        where,
        data={"category": category_id(app, "Áo"), "price_dong": "10k", "is_lot": "y",
              "quantity": "12"},
    )  # fmt: skip
    assert socks.status_code == 303
    page = as_member.get(where)
    code = re.search(r'href="/stock/(\d+)"', page.text).group(1)
    assert 'name="copies"' in page.text and 'name="start"' in page.text

    sheet = as_member.get(f"/stock/{code}/tag.pdf?copies=3&start=23")
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=sheet.data, capture_output=True, check=True
    ).stdout.decode()
    assert text.count(code) == 3 and text.count("\f") == 2  # labels 23, 24, then a new sheet
    whole = as_member.get(f"{where}/tags.pdf?copies=12")
    assert whole.status_code == 200

    for query, field, words in [
        ("start=25", "start", "Chọn một ô tem từ 1 đến 24."),
        ("start=0", "start", "Chọn một ô tem từ 1 đến 24."),
        ("start=abc", "start", "Hãy viết một số nguyên từ 1 đến 24."),
        ("copies=0", "copies", "Số tem phải từ 1 đến 500."),
        ("copies=501", "copies", "Số tem phải từ 1 đến 500."),
    ]:
        refused = as_member.get(f"/stock/{code}/tag.pdf?{query}")
        assert refused.status_code == 422, query
        assert _beside(refused, field) == words, query
        assert f'value="{query.split("=")[1]}"' in refused.text  # what she typed is kept


def test_a_bale_bought_is_the_coordinators_unless_members_record_expenses(
    client, as_member, shop, app, coordinator
):
    """A bale's cost is an expense of the group: a member who may not record expenses is
    told so beside "what came in", with what she typed kept, and nothing is recorded (page
    and API alike); once the shop lets members record expenses, her bale goes in."""
    from shop.models import Expense, Intake
    from shop.services import members as member_service
    from shop.services import visibility

    bale = {"kind": "purchase", "supplier": "Chợ Ninh Hiệp", "cost": "1tr2"}
    refused = as_member.post("/intake/new", data=bale)
    assert refused.status_code == 403
    assert _beside(refused, "kind") == (
        "Chỉ trưởng nhóm ghi kiện hàng mua: tiền mua là tiền của nhóm."
    )
    assert 'value="Chợ Ninh Hiệp"' in refused.text
    api = client.post("/api/v1/intakes", json={**bale, "cost": 1_200_000})
    assert api.status_code == 403 and list(api.json["fields"]) == ["kind"]
    with app.app_context():
        assert db.session.query(Intake).count() == 0
        assert db.session.query(Expense).count() == 0
        save_shop(db.session, bank=False)
        visibility.set_shop_rules(
            db.session,
            visibility.ShopRules(members_record_expenses=True),
            by=member_service.get_member(db.session, coordinator),
        )
        db.session.commit()
    assert as_member.post("/intake/new", data=bale).status_code == 303
    with app.app_context():
        assert [e.amount_dong for e in db.session.query(Expense)] == [1_200_000]
