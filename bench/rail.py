"""The counter's rail copy with 3,000 items on the rail: size (raw and gzip) and time.

    .venv/bin/python -m bench.rail

Builds a fresh SQLite shop in a temporary folder, receives 3,000 items (a few lots among
them, a third consigned) through the stock service, then asks GET /api/v1/counter/rail
through the Flask test client: the full copy, and a delta after ten sales.
"""

from __future__ import annotations

import gzip
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ITEMS = 3000
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def main() -> None:
    from shop import create_app
    from shop.cli import upgrade_database
    from shop.extensions import db
    from shop.models import IntakeKind, Role
    from shop.services import counter as counter_service
    from shop.services import members as member_service
    from shop.services import stock

    folder = Path(tempfile.mkdtemp(prefix="rail-bench-"))
    config = {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'shop.db'}",
        "SHOP_TIMEZONE": "Asia/Ho_Chi_Minh",
        "WTF_CSRF_ENABLED": False,
        "MIGRATE_ON_START": False,
        "PRINT_WORKER": "off",
        "INSTANCE_PATH": str(folder),
    }
    app = create_app(config)
    upgrade_database(app)
    with app.app_context(), app.test_request_context():
        details = member_service.MemberDetails(
            name="Nguyễn Thị Hồng", phone="0912000001", role=Role.COORDINATOR,
            joined_on=date(2026, 1, 1),
        )  # fmt: skip
        boss = member_service.create_member(db.session, details, "2468", country_code="84")
        other = member_service.MemberDetails(
            name="Trần Thị Ngọc", phone="0912000002", role=Role.MEMBER, joined_on=date(2026, 1, 1)
        )
        member_service.create_member(db.session, other, "1357", country_code="84")
        _row, secret = member_service.create_token(db.session, boss, "bench", Role.COORDINATOR)
        now = datetime.now(UTC)
        donation = stock.receive_intake(
            db.session, stock.IntakeDetails(IntakeKind.DONATION, now), by=boss, tz=TZ
        )
        consigned = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.CONSIGNMENT, now, owner_number=2),
            by=boss,
            tz=TZ,
        )
        kinds = ["Áo", "Quần", "Váy", "Áo khoác", "Phụ kiện"]
        for n in range(ITEMS):
            intake = consigned if n % 3 == 0 else donation
            if n % 50 == 0:
                stock.add_lot(
                    db.session, intake, stock.LotDetails("Phụ kiện", 10_000, 20, f"Tất loại {n}")
                )
            else:
                stock.add_item(
                    db.session,
                    intake,
                    stock.ItemDetails(
                        kinds[n % 5], 20_000 + (n % 40) * 5_000, f"Mô tả hàng số {n} màu xanh",
                        size=["S", "M", "L", "XL"][n % 4],
                    ),
                )  # fmt: skip
        db.session.commit()
        codes = [
            i.code for i in stock.search_items(db.session, stock.StockQuery(), per_page=20).items
        ]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}

    def timed(url):
        runs, body = [], b""
        for _ in range(15):
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            runs.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
            body = response.data
        return statistics.median(runs), max(runs), body

    full_ms, full_max, body = timed("/api/v1/counter/rail")
    import json

    answer = json.loads(body)
    print(f"items on the rail: {len(answer['items'])}")
    print(
        f"full copy: {len(body) / 1024:.1f} KiB raw, {len(gzip.compress(body)) / 1024:.1f} KiB gzip"
    )
    print(f"full copy: median {full_ms:.0f} ms, slowest {full_max:.0f} ms (15 runs, test client)")
    with app.app_context(), app.test_request_context():
        boss = member_service.get_member(db.session, 1)
        counter_service.open_shift(db.session, boss, 0, at=datetime.now(UTC), tz=TZ)
        for index, code in enumerate(codes[:10]):
            counter_service.record_sale(
                db.session,
                counter_service.SaleRequest(
                    lines=(counter_service.LineRequest(code),), client_id=f"bench-{index:04d}"
                ),
                cashier=boss, at=datetime.now(UTC), tz=TZ,
            )  # fmt: skip
        db.session.commit()
    delta_ms, delta_max, delta = timed(f"/api/v1/counter/rail?since={answer['cursor']}")
    changed = json.loads(delta)
    print(
        f"delta after 10 sales: {len(changed['items'])} items, {len(changed['gone'])} gone, "
        f"{len(delta)} bytes, median {delta_ms:.1f} ms, slowest {delta_max:.1f} ms"
    )


if __name__ == "__main__":
    main()
