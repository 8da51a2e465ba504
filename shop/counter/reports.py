"""Z reports (Báo cáo cuối ngày): one shift's, or one local day's, to read or print.

Any signed-in member may see them (the sign-in check of ``shop.auth.access`` covers every
route); they only read, so they never commit.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, render_template

from shop import clock
from shop.counter import bp
from shop.extensions import db
from shop.services import counter as counter_service
from shop.services import reports as report_service


@bp.get("/z/shift/<int:shift_id>")
def show_shift_report(shift_id: int):
    """The Z report of one shift (so far, while it is open); 404 for an unknown shift."""
    shift = counter_service.get_shift(db.session, shift_id)
    now = clock.now()
    report = report_service.shift_report(db.session, shift, tz=clock.shop_tz(), now=now)
    return render_template("counter/z_report.html", report=report, now=now)


@bp.get("/z/day", defaults={"day": None})
@bp.get("/z/day/<day>")
def show_day_report(day: str | None):
    """The Z report of today, or of a past day given as ``yyyy-mm-dd`` (else 404)."""
    today = clock.today()
    wanted = today if day is None else report_service.report_day(day, today)
    if wanted is None:
        abort(404)
    now = clock.now()
    report = report_service.day_report(db.session, wanted, tz=clock.shop_tz(), now=now)
    before = wanted - timedelta(days=1)
    return render_template(
        "counter/z_report.html",
        report=report,
        now=now,
        previous_day=before if before >= report_service.FIRST_DAY else None,
        next_day=wanted + timedelta(days=1) if wanted < today else None,
    )
