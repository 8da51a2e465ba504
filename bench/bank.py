"""A transfer confirmed by the bank itself, end to end: gunicorn with the shop's own
settings (its poller thread at the shop's real cadence) and the fake bank
(:mod:`reliability.fakebank`) playing SePay.

Each run records a sale paid by transfer through the API, waits a random moment (so that
the fake bank's transaction lands anywhere in the poller's cycle, as a customer's does),
puts the transaction on the fake bank's list, and measures how long until the API shows the
sale complete. The target: the median ≤ 15 s.
"""

from __future__ import annotations

import json
import random
import time
import uuid

from bench.app import create_bench_app

TOKEN = "bench-sepay-token"  # noqa: S105 (the fake bank's, nobody else's)
#: How long one run waits for the confirmation before it counts as missed, seconds.
GIVE_UP = 60


def configure(prepared, fake_url: str, wanted: int) -> tuple[str, list[str]]:
    """The shop uses SePay, pointed at the fake bank (set before gunicorn starts); returns
    the shop's account the transfers go to and ``wanted`` codes of items on the rail that
    gunicorn's clock (which starts at :data:`bench.app.BENCH_NOW` when it starts) already
    sees received: a bag donated by the benchmark's own process, whose clock started
    minutes earlier, is dated after that."""
    from sqlalchemy import select

    from bench.app import BENCH_NOW
    from shop import clock
    from shop.extensions import db
    from shop.models import Intake, Item, ItemStatus
    from shop.services import bank
    from shop.services import members as member_service

    app = create_bench_app(str(prepared.database), str(prepared.instance))
    with app.app_context():
        coordinator = member_service.get_member(db.session, 1)
        profile = member_service.shop_profile(db.session)
        if not profile.bank_account:
            member_service.save_shop_settings(
                db.session, name=profile.name, address=profile.address or "",
                receipt_footer=profile.receipt_footer or "", bank_bin="970415",
                bank_account="113366668888", bank_account_name="NHOM NEW ME",
            )  # fmt: skip
        bank.save_settings(
            db.session, by=coordinator, at=clock.now(), provider="sepay",
            base_url=fake_url, new_keys={"sepay_api_token": TOKEN},
        )  # fmt: skip
        db.session.commit()
        account = member_service.shop_profile(db.session).bank_account
        codes = list(
            db.session.scalars(
                select(Item.code)
                .join(Intake, Item.intake_id == Intake.id)
                .where(
                    Item.status == ItemStatus.IN_STOCK,
                    Item.is_lot.is_(False),
                    Intake.received_at <= BENCH_NOW,
                )
                .order_by(Item.id.desc())
                .limit(wanted)
            )
        )
        db.session.rollback()
        db.engine.dispose()
    return account, codes


def run_bank_feed(prepared, runs: int, *, client_for, gunicorn, log) -> dict:
    """``runs`` transfer sales confirmed through the fake bank; the seconds each took."""
    from reliability.fakebank import FakeBank
    from shop.domain import bank as rules
    from shop.domain.calendar import utc_now

    rng = random.Random(15)
    waits: list[float] = []
    missed = 0
    with FakeBank(sepay_token=TOKEN) as fake:
        account, codes = configure(prepared, fake.url, runs)
        with gunicorn(prepared) as port:
            client = client_for(port)
            from bench.run import sign_in_and_open_shift

            sign_in_and_open_shift(client)  # the token's member: a sale needs her shift
            api = {"Authorization": f"Bearer {prepared.token}"}
            stock = iter(codes)
            try:
                for run in range(runs):
                    code = next(stock)
                    status, _l, body = client.get(f"/api/v1/items/{code}", headers=api)
                    assert status == 200, (status, body[:200])
                    price = json.loads(body)["charged_dong"]
                    status, _l, body = client.post(
                        "/api/v1/sales",
                        json_body={
                            "lines": [{"code": code}],
                            "transfer_dong": price,
                            "client_id": str(uuid.uuid4()),
                        },
                        headers=api,
                    )
                    assert status == 201, (status, body[:300])
                    number = json.loads(body)["number"]
                    time.sleep(rng.uniform(1, 15))  # the customer opens her bank's app
                    fake.post(
                        price,
                        f"MBVCB.{rng.randrange(10**9)}.{rules.sale_code(number)}.NEWME.CT",
                        at=utc_now().replace(microsecond=0),
                        account=account,
                    )
                    posted = time.monotonic()
                    said = "missed"
                    while time.monotonic() - posted <= GIVE_UP:
                        status, _l, body = client.get(f"/api/v1/sales/{number}", headers=api)
                        if status == 200 and json.loads(body)["status"] == "complete":
                            waits.append(time.monotonic() - posted)
                            said = f"{waits[-1]:.1f} s"
                            break
                        time.sleep(0.25)
                    else:
                        missed += 1
                    log(f"bank feed run {run + 1}/{runs}: sale {number} confirmed after {said}")
            finally:
                client.close()
        asked = len(fake.list_requests())
    return {"seconds": waits, "missed": missed, "runs": runs, "list_requests": asked}


if __name__ == "__main__":  # the scenario alone, on the small bench shop
    import os
    import sys

    from bench import run as bench_run

    scale = float(os.environ.get("BENCH_SCALE", "0.25")) / 10
    database, _meta = bench_run.build_shop(scale, None)
    path, instance = bench_run.working_copy(database, "bank-feed")
    result = bench_run.run_bank_feed(bench_run.prepare(path, instance))
    print("\n".join(bench_run.bank_feed_section(result)))
    sys.exit(0)
