"""The journal through the API: the whole shop out as JSON, a history in."""

from __future__ import annotations

from dataclasses import asdict

from flask import current_app

from shop import clock
from shop.api import require_coordinator, route
from shop.api.common import json_body
from shop.extensions import db
from shop.journal import JournalInvalid, ShopNotEmpty, export_journal, import_journal
from shop.services.errors import InvalidInput

JOURNAL = {
    "content": {
        "application/json": {
            "schema": {"type": "object", "description": "a shop journal (shop-journal version 1)"}
        }
    }
}


@route(
    "/journal",
    "GET",
    "The shop's whole history as a journal",
    role="coordinator",
    tag="journal",
    responses={"200": {"description": "The journal", **JOURNAL}},
)
def export():
    require_coordinator()
    return export_journal(db.session, timezone=clock.shop_tz())


@route(
    "/journal",
    "POST",
    "Import a history into a shop that has none yet (its members "
    "may already exist under the same numbers and names)",
    role="coordinator",
    tag="journal",
    responses={
        "201": {
            "description": "Imported: how many of each",
            "content": {
                "application/json": {
                    "schema": {"type": "object", "additionalProperties": {"type": "integer"}}
                }
            },
        }
    },
)
def import_():
    require_coordinator()
    data = json_body()
    try:
        summary = import_journal(db.session, data, app_config=current_app.config, keep_members=True)
    except ShopNotEmpty:
        raise InvalidInput("journal.shop_not_empty", "body", status=409) from None
    except JournalInvalid as error:
        fields: dict[str, list[str]] = {}
        for problem in error.problems:
            fields.setdefault(problem.path or "/", []).append(problem.message)
        count = len(error.problems)
        said = "journal.problem" if count == 1 else "journal.problems"
        raise InvalidInput(said, next(iter(fields)), fields=fields, count=count) from None
    return asdict(summary), 201
