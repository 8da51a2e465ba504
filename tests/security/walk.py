"""Every registered route, called by a stranger, a member and a coordinator."""

from __future__ import annotations

import re

from shop.extensions import db

#: Values for the routes' variables: the worked example's, so each names something that
#: exists and, where it is a member's, belongs to the coordinator (member 1), not to the
#: member walking the routes (member 2).
SAMPLES = {
    "number": "1",
    "month": "2026-11",
    "code": "A",
    "ref": "i1",
    "day": "2026-11-03",
    "shift_id": "1",
    "expense_id": "1",
    "payout_id": "1",
    "review_id": "1",
    "transaction_id": "1",
    "job_id": "1",
    "token_id": "1",
    "line_id": "1",
    "render_id": "0" * 32,
    "filename": "css/shop.css",
    "client_id": "phone-1",
}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Routes left out of the walk, and why.
SKIPPED = {
    "auth.sign_out": "ends the session the walk runs in (tested on its own)",
}


def routes(app):
    """(endpoint, method, url) for every rule of the app, variables filled from SAMPLES."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED:
            continue
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: SAMPLES[m.group(1)], rule.rule)
        for method in sorted(rule.methods & set(METHODS)):
            found.append((rule.endpoint, method, url))
    return sorted(found)


def call(client, method, url, headers=None):
    if url.startswith("/api/"):
        return client.open(url, method=method, json={}, headers=headers or {})
    return client.open(url, method=method, data={}, headers=headers or {})


def member_token(app, role):
    """A bearer token of member 1 (the coordinator) limited to ``role``."""
    from shop.models import Role
    from shop.services import members as member_service

    with app.app_context():
        owner = member_service.get_member(db.session, 1)
        _row, secret = member_service.create_token(db.session, owner, f"walk {role}", Role(role))
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}
