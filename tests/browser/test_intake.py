import subprocess

import pytest

from shop.extensions import db
from tests.browser.conftest import ARTIFACTS, screenshot

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
    # Only the donor's part of the form shows for a donation.
    assert phone.get_by_label("Người tặng", exact=True).is_visible()
    assert not phone.get_by_label("Nơi mua").is_visible()
    phone.get_by_label("Người tặng", exact=True).fill("Văn phòng LIGHT")
    phone.get_by_label("Tổ chức").fill("LIGHT")
    screenshot(phone, "intake-new-360")
    phone.get_by_role("button", name="Tiếp: thêm các món hàng").click()

    # Three things from the bag; category and condition stay as chosen, the price is filled.
    phone.get_by_label("Loại hàng").select_option(label="Áo")
    phone.get_by_role("radio", name="Tốt", exact=True).check()
    price = phone.get_by_label("Giá")
    assert price.input_value() == "50.000"
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
    assert phone.locator(".item-row").count() == 3
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "intake-items-360")

    # The tag sheet.
    link = phone.get_by_role("link", name="In tem giá (tờ A4)")
    response = phone.request.get(live_server + link.get_attribute("href"))
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
    assert phone.locator(".item-row").count() == 3
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_label("Mã hàng hoặc từ khóa").fill("ao len")
    phone.get_by_role("button", name="Tìm").click()
    assert phone.locator(".item-row").count() == 1
    phone.locator(".item-row a").click()
    assert "50.000" in phone.get_by_test_id("charged").inner_text()
    screenshot(phone, "item-360")
    assert phone.foreign_requests == []
    assert phone.console_errors == []
