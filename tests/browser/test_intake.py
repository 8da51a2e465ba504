import subprocess

import pytest
from playwright.sync_api import expect

from shop.extensions import db
from tests.browser.conftest import ARTIFACTS, page_width, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def shop_with_prices(app, coordinator, member):
    from shop.models import Condition
    from shop.services import stock

    with app.app_context():
        stock.seed_categories(db.session)
        for category in stock.categories(db.session):
            if category.name == "Áo":
                stock.set_price_suggestion(db.session, category.id, Condition.GOOD, 50_000)
                stock.set_price_suggestion(db.session, category.id, Condition.FAIR, 30_000)
        db.session.commit()


def sign_in(page, live_server, phone="0912000002", pin="1357"):
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Mã PIN").fill(pin)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")


def test_record_a_bag_of_donated_clothes_on_a_phone_and_print_its_tags(
    phone, live_server, shop_with_prices
):
    sign_in(phone, live_server)
    phone.get_by_role("link", name="Nhập hàng").first.click()
    phone.get_by_role("link", name="Ghi nhập hàng").click()
    # Only the donor's part of the form shows for a donation (once the page's script ran).
    phone.wait_for_url(f"{live_server}/intake/new*")
    phone.wait_for_load_state("load")
    expect(phone.get_by_label("Người tặng", exact=True)).to_be_visible()
    expect(phone.get_by_label("Nơi mua")).to_be_hidden()
    phone.get_by_label("Người tặng", exact=True).fill("Văn phòng LIGHT")
    phone.get_by_label("Tổ chức").fill("LIGHT")
    screenshot(phone, "intake-new-360")
    phone.get_by_role("button", name="Tiếp: thêm các món hàng").click()
    phone.wait_for_url(f"{live_server}/intake/N*")
    phone.wait_for_load_state("load")  # the page's script fills prices in: it must be there

    # Three things from the bag; category and condition stay as chosen, the price is filled.
    phone.get_by_label("Loại hàng").select_option(label="Áo")
    phone.get_by_role("radio", name="Tốt", exact=True).check()
    price = phone.get_by_label("Giá")
    expect(price).to_have_value("50.000")
    for description, size in [("Áo sơ mi trắng", "M"), ("Áo len xanh", "L")]:
        phone.get_by_label("Mô tả").fill(description)
        phone.get_by_label("Cỡ").fill(size)
        phone.get_by_role("button", name="Lưu và thêm món tiếp").click()
        phone.wait_for_load_state()
        assert phone.get_by_label("Loại hàng").locator("option:checked").inner_text() == "Áo"
        assert phone.get_by_label("Giá").input_value() == "50.000"
    phone.get_by_role("radio", name="Khá", exact=True).check()
    assert phone.get_by_label("Giá").input_value() == "30.000"
    phone.get_by_label("Giá").fill("25k")
    phone.get_by_label("Mô tả").fill("Áo phông cũ màu xám có in hình hoa lớn ở ngực và sau lưng")
    phone.get_by_role("button", name="Lưu và thêm món tiếp").click()
    phone.wait_for_load_state()
    assert "Đã lưu với mã 10024." in phone.locator(".flash").inner_text()
    expect(phone.locator(".item-row")).to_have_count(3)
    assert page_width(phone) <= 360
    screenshot(phone, "intake-items-360")

    # The tag sheet, on a sheet whose first five labels are used already.
    panel = phone.get_by_test_id("tag-sheet")
    panel.locator("summary").click()
    panel.get_by_label("Bắt đầu in từ ô tem số").fill("6")
    screenshot(phone, "intake-tag-sheet-form-360")
    with phone.expect_popup() as opened:
        panel.get_by_role("button", name="In tem giá (tờ A4)").click()
    sheet = opened.value
    assert "start=6" in sheet.url
    response = phone.request.get(sheet.url)
    sheet.close()
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = ARTIFACTS / "intake-tags.pdf"
    pdf.write_bytes(response.body())
    subprocess.run(
        ["pdftoppm", "-r", "110", "-png", "-singlefile", str(pdf), str(ARTIFACTS / "intake-tags")],
        check=True,
    )

    # Find one of them again.
    phone.get_by_role("link", name="Kho hàng").click()
    # A long description is cut with an ellipsis, never widening the page.
    expect(phone.locator(".item-row")).to_have_count(3)
    assert page_width(phone) <= 360
    phone.get_by_label("Mã hàng hoặc từ khóa").fill("ao len")
    phone.get_by_role("button", name="Tìm").click()
    expect(phone.locator(".item-row")).to_have_count(1)
    phone.locator(".item-row a").click()
    assert "50.000" in phone.get_by_test_id("charged").inner_text()
    screenshot(phone, "item-360")
    assert phone.foreign_requests == []
    assert phone.console_errors == []


def test_a_suggested_price_does_not_stay_for_a_category_with_none(
    phone, live_server, shop_with_prices
):
    sign_in(phone, live_server)
    phone.goto(f"{live_server}/intake/new")
    phone.get_by_role("button", name="Tiếp: thêm các món hàng").click()
    phone.wait_for_url(f"{live_server}/intake/N*")
    phone.wait_for_load_state("load")  # the page's script fills prices in: it must be there
    phone.get_by_label("Loại hàng").select_option(label="Áo")
    phone.get_by_role("radio", name="Tốt", exact=True).check()
    price = phone.get_by_label("Giá")
    expect(price).to_have_value("50.000")
    # "Mới" has no suggested price for Áo; nor has "Quần" at all: the box empties.
    phone.get_by_role("radio", name="Mới", exact=True).check()
    assert price.input_value() == ""
    phone.get_by_role("radio", name="Khá", exact=True).check()
    assert price.input_value() == "30.000"
    phone.get_by_label("Loại hàng").select_option(label="Quần")
    assert price.input_value() == ""
    screenshot(phone, "intake-price-cleared-360")
    # A price she typed herself stays, whatever she chooses.
    price.fill("65k")
    phone.get_by_label("Loại hàng").select_option(label="Áo")
    phone.get_by_role("radio", name="Tốt", exact=True).check()
    assert price.input_value() == "65k"
    assert phone.console_errors == []


def test_a_bale_without_its_cost_is_refused_beside_the_cost(phone, live_server, shop_with_prices):
    sign_in(phone, live_server, "0912000001", "2468")  # Hồng: a bale is the group's money
    phone.goto(f"{live_server}/intake/new?kind=purchase")
    phone.get_by_label("Nơi mua").fill("Chợ Ninh Hiệp")
    phone.get_by_role("button", name="Tiếp: thêm các món hàng").click()
    message = phone.locator("#cost-error")
    expect(message).to_have_text("Nhập giá mua kiện hàng")
    expect(message).to_be_in_viewport()
    expect(phone.get_by_label("Nơi mua")).to_have_value("Chợ Ninh Hiệp")
    screenshot(phone, "intake-bale-no-cost-360")
    phone.get_by_label("Tiền mua kiện hàng").fill("1tr2")
    phone.get_by_role("button", name="Tiếp: thêm các món hàng").click()
    expect(phone.get_by_test_id("bale-cost")).to_contain_text("1.200.000")
    screenshot(phone, "intake-bale-cost-360")
    assert page_width(phone) <= 360
    assert phone.console_errors == []
