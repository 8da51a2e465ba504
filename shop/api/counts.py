"""Stocktake (Kiểm kê) through the API: open a count, send phones' scans in batches, read
its progress and differences, close it. The scanning page sends its scans here too.

Any signed-in member reads and scans; only a coordinator opens and closes (403 otherwise).
Every rule is :mod:`shop.services.counts`'s: this module reads the JSON and answers it.
"""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l

from shop import clock
from shop.api import require_coordinator, route
from shop.api.common import json_body, list_response, ref_response, refuse, unknown_fields
from shop.api.spec import COMPONENTS, error_response
from shop.auth.access import current_member
from shop.domain.count import CHOICES, DecisionKind, Difference
from shop.domain.text import CODE_LENGTH, NOTE_LENGTH
from shop.extensions import db
from shop.messages import not_found_at_count
from shop.services import counts as count_service
from shop.services.errors import InvalidInput, NotFound

_PROGRESS = {
    "type": "object",
    "required": ["expected", "counted", "scans", "unknown", "categories"],
    "properties": {
        "expected": {"type": "integer", "description": "items and lots the books have"},
        "counted": {"type": "integer", "description": "of those, found"},
        "scans": {"type": "integer", "description": "scans taken in (taken-back ones too)"},
        "unknown": {"type": "integer", "description": "tags of no item"},
        "mine": {"type": "integer", "nullable": True, "description": "the caller's scans"},
        "categories": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "expected", "counted"],
                "properties": {
                    "name": {"type": "string"},
                    "expected": {"type": "integer"},
                    "counted": {"type": "integer"},
                },
            },
        },
    },
}
COMPONENTS["CountProgress"] = _PROGRESS
COMPONENTS["CountDecision"] = {
    "type": "object",
    "required": ["code", "difference", "kind"],
    "properties": {
        "code": {"type": "string"},
        "difference": {"type": "string", "enum": [d.value for d in Difference]},
        "kind": {"type": "string", "enum": [k.value for k in DecisionKind]},
        "note": {"type": "string"},
        "expected_pieces": {"type": "integer", "nullable": True},
        "counted_pieces": {"type": "integer", "nullable": True},
        "value_dong": {"type": "integer"},
        "compensation_dong": {"type": "integer", "description": "paid to the owner"},
        "owner": {"type": "integer", "nullable": True, "description": "her member number"},
        "at": {"type": "string", "format": "date-time"},
        "by": {"type": "integer"},
    },
}
COMPONENTS["StockCount"] = {
    "type": "object",
    "required": ["number", "status", "opened_at", "opened_by", "categories", "progress"],
    "properties": {
        "number": {"type": "integer"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "opened_at": {"type": "string", "format": "date-time"},
        "opened_by": {"type": "integer"},
        "categories": {
            "type": "array",
            "description": "empty: the whole rail",
            "items": {"$ref": "#/components/schemas/Category"},
        },
        "note": {"type": "string"},
        "scan_count": {"type": "integer"},
        "closed_at": {"type": "string", "format": "date-time", "nullable": True},
        "closed_by": {"type": "integer", "nullable": True},
        "progress": {"$ref": "#/components/schemas/CountProgress"},
        "decisions": {
            "type": "array",
            "description": "a closed count's decisions",
            "items": {"$ref": "#/components/schemas/CountDecision"},
        },
    },
}
COMPONENTS["CountDifference"] = {
    "type": "object",
    "required": ["difference", "code", "choices"],
    "properties": {
        "difference": {"type": "string", "enum": [d.value for d in Difference]},
        "code": {"type": "string"},
        "choices": {
            "type": "array",
            "description": "what may be decided; the first is offered first",
            "items": {"type": "string", "enum": [k.value for k in DecisionKind]},
        },
        "expected_pieces": {"type": "integer", "nullable": True},
        "counted_pieces": {"type": "integer", "nullable": True},
        "value_dong": {"type": "integer", "description": "what is missing is worth today"},
        "compensation_dong": {"type": "integer", "description": "due to the owner if lost"},
        "days_in_stock": {"type": "integer", "nullable": True},
        "owner": {"type": "integer", "nullable": True, "description": "null: the group's"},
        "category": {"type": "string", "nullable": True},
        "description": {"type": "string", "nullable": True},
    },
}
_SCAN_ITEM = {
    "type": "object",
    "nullable": True,
    "properties": {
        "code": {"type": "string"},
        "category": {"type": "string"},
        "description": {"type": "string"},
        "is_lot": {"type": "boolean"},
    },
}
COMPONENTS["CountScans"] = {
    "type": "object",
    "required": ["scans", "progress"],
    "properties": {
        "scans": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["client_id", "outcome", "item"],
                "properties": {
                    "client_id": {"type": "string"},
                    "outcome": {"type": "string", "enum": ["recorded", "resent", "refused"]},
                    "item": _SCAN_ITEM,
                    "fields": {
                        "type": "object",
                        "description": "refused only: what is wrong, by field",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
        "progress": {"$ref": "#/components/schemas/CountProgress"},
    },
}


def _body(properties: dict, required: list[str] | None = None) -> dict:
    schema = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = required
    return {"required": True, "content": {"application/json": {"schema": schema}}}


OPEN_BODY = _body(
    {
        "categories": {
            "type": "array",
            "items": {"type": "integer"},
            "description": "category ids; empty or absent: the whole rail",
        },
        "note": {"type": "string", "maxLength": NOTE_LENGTH},
    }
)
SCANS_BODY = _body(
    {
        "scans": {
            "type": "array",
            "minItems": 1,
            "maxItems": count_service.MAX_BATCH,
            "items": {
                "type": "object",
                "required": ["client_id", "code"],
                "additionalProperties": False,
                "properties": {
                    "client_id": {
                        "type": "string",
                        "pattern": "^[A-Za-z0-9_-]{1,64}$",
                        "description": "the phone's id for this scan: sent again, it is "
                        "answered `resent` and nothing new is written",
                    },
                    "code": {"type": "string", "maxLength": CODE_LENGTH},
                    "pieces": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": count_service.MAX_PIECES,
                        "description": "a lot's pieces counted (required for a lot)",
                    },
                    "scanned_at": {
                        "type": "string",
                        "format": "date-time",
                        "description": "the phone's clock when it scanned",
                    },
                },
            },
        }
    },
    ["scans"],
)
CLOSE_BODY = _body(
    {
        "decisions": {
            "type": "object",
            "description": "one decision for every difference, by its code",
            "additionalProperties": {
                "type": "object",
                "required": ["kind"],
                "additionalProperties": False,
                "properties": {
                    "kind": {"type": "string", "enum": [k.value for k in DecisionKind]},
                    "note": {"type": "string", "maxLength": NOTE_LENGTH},
                },
            },
        }
    },
    ["decisions"],
)


def progress_json(progress) -> dict:
    return {
        "expected": progress.expected,
        "counted": progress.counted,
        "scans": progress.scans,
        "unknown": progress.unknown,
        "mine": progress.mine,
        "categories": [
            {"name": c.name, "expected": c.expected, "counted": c.counted}
            for c in progress.categories
        ],
    }


def decision_json(decision) -> dict:
    return {
        "code": decision.code,
        "difference": decision.difference.value,
        "kind": decision.kind.value,
        "note": decision.note,
        "expected_pieces": decision.expected_pieces,
        "counted_pieces": decision.counted_pieces,
        "value_dong": decision.value_dong,
        "compensation_dong": decision.compensation_dong,
        "owner": decision.owner.number if decision.owner is not None else None,
        "at": decision.at.isoformat(),
        "by": decision.by.number,
    }


def count_json(count) -> dict:
    data = {
        "number": count.number,
        "status": count.status.value,
        "opened_at": count.opened_at.isoformat(),
        "opened_by": count.opened_by.number,
        "categories": [{"id": c.id, "name": c.name} for c in count.categories],
        "note": count.note,
        "scan_count": count.scan_count,
        "closed_at": count.closed_at.isoformat() if count.closed_at else None,
        "closed_by": count.closed_by.number if count.closed_by else None,
        "progress": progress_json(
            count_service.progress(db.session, count, member=current_member())
        ),
    }
    if not count.is_open:
        data["decisions"] = [
            decision_json(d) for d in count_service.decisions_of(db.session, count)
        ]
    return data


def scan_item_json(item) -> dict | None:
    if item is None:
        return None
    return {
        "code": item.code,
        "category": item.category.name,
        "description": item.description,
        "is_lot": item.is_lot,
    }


def difference_json(line) -> dict:
    item = line.item
    return {
        "difference": line.found.difference.value,
        "code": line.code,
        "choices": [k.value for k in CHOICES[line.found.difference]],
        "expected_pieces": line.found.expected_pieces,
        "counted_pieces": line.found.counted_pieces,
        "value_dong": line.value_dong,
        "compensation_dong": line.compensation_dong,
        "days_in_stock": line.days_in_stock,
        "owner": line.owner.number if line.owner is not None else None,
        "category": item.category.name if item is not None else None,
        "description": item.description if item is not None else None,
    }


@route(
    "/counts",
    "POST",
    "Open a stock count for the whole rail or some categories",
    role="coordinator",
    tag="counts",
    body=OPEN_BODY,
    description="Refused (422, field `count`) while another count is open.",
    responses={"201": {"description": "Opened", **ref_response("StockCount")}},
)
def open_count():
    require_coordinator()
    payload = json_body()
    problems = unknown_fields(payload, {"categories", "note"})
    categories = payload.get("categories") or []
    if not isinstance(categories, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) for c in categories
    ):
        problems["categories"] = [_l("Choose categories from the list.")]
    note = payload.get("note") or ""
    if not isinstance(note, str) or len(note) > NOTE_LENGTH:
        problems["note"] = [_l("At most 300 letters.")]
    if problems:
        refuse(problems)
    count = count_service.open_count(
        db.session, by=current_member(), at=clock.now(), category_ids=categories, note=note
    )
    answer = count_json(count)
    return answer, 201


@route(
    "/counts",
    "GET",
    "The stock counts, newest first",
    tag="counts",
    responses={"200": {"description": "Counts", **list_response("StockCount")}},
)
def list_counts():
    return {"items": [count_json(c) for c in count_service.counts(db.session)]}


@route(
    "/counts/current",
    "GET",
    "The open stock count",
    tag="counts",
    responses={
        "200": {"description": "The open count", **ref_response("StockCount")},
        "404": error_response("No count is open (field `count`)"),
    },
)
def current_count():
    count = count_service.current_count(db.session)
    if count is None:
        raise NotFound("count.none_open", "count")
    return count_json(count)


@route(
    "/counts/{number}",
    "GET",
    "One stock count with its progress (and its decisions once closed)",
    tag="counts",
    responses={"200": {"description": "The count", **ref_response("StockCount")}},
)
def get_count(number: int):
    return count_json(count_service.get_count(db.session, number))


@route(
    "/counts/{number}/scans",
    "POST",
    "Send scans (1 to 200), each taken or refused on its own; a resend changes nothing",
    tag="counts",
    body=SCANS_BODY,
    description="Each scan is answered `recorded`, `resent` (its client_id was taken "
    "before: nothing new is written) or `refused` with `fields` saying why; a lot without "
    "its `pieces` is refused naming `pieces`. A closed count takes none (409).",
    responses={
        "200": {"description": "What became of each scan", **ref_response("CountScans")},
        "409": error_response("The count is closed: no scan was taken"),
    },
)
def send_scans(number: int):
    count = count_service.get_count(db.session, number)
    if not count.is_open:
        raise count_service.CountClosed("scan.count_closed", "count")
    payload = json_body()
    problems = unknown_fields(payload, {"scans"})
    entries = payload.get("scans")
    if not isinstance(entries, list) or not 1 <= len(entries) <= count_service.MAX_BATCH:
        problems["scans"] = [_l("Send 1 to %(n)s scans at a time.", n=count_service.MAX_BATCH)]
        entries = []
    requests, extra = [], {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems[f"scans[{index}]"] = [_l("Expected an object.")]
            continue
        unknown = unknown_fields(entry, {"client_id", "code", "pieces", "scanned_at"})
        if unknown:
            extra[index] = unknown
        requests.append(
            count_service.ScanRequest(
                entry.get("client_id"), entry.get("code"), entry.get("pieces"),
                entry.get("scanned_at"),
            )
        )  # fmt: skip
    if problems:
        refuse(problems)
    # A scan with a field the API does not know is refused on its own, as a bad code is.
    taken_requests = [r for i, r in enumerate(requests) if i not in extra]
    outcomes = iter(
        count_service.record_scans(
            db.session, count, taken_requests, by=current_member(), received_at=clock.now()
        )
    )
    answers = []
    for index, wanted in enumerate(requests):
        if index in extra:
            answers.append(
                {"client_id": _echo(wanted.client_id), "outcome": "refused", "item": None,
                 "fields": {k: [str(m) for m in v] for k, v in extra[index].items()}}
            )  # fmt: skip
            continue
        outcome = next(outcomes)
        answer = {
            "client_id": _echo(outcome.client_id),
            "outcome": outcome.outcome,
            "item": scan_item_json(outcome.item),
        }
        if outcome.fields:
            answer["fields"] = {name: list(msgs) for name, msgs in outcome.fields.items()}
        answers.append(answer)
    progress = progress_json(count_service.progress(db.session, count, member=current_member()))
    return {"scans": answers, "progress": progress}


@route(
    "/counts/{number}/scans/{client_id}/withdraw",
    "POST",
    "Take back a scan made by mistake (her own, or anyone's for a coordinator)",
    tag="counts",
    responses={
        "200": {
            "description": "Taken back (again: the same answer)",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["client_id", "withdrawn_at"],
                        "properties": {
                            "client_id": {"type": "string"},
                            "withdrawn_at": {"type": "string", "format": "date-time"},
                        },
                    }
                }
            },
        },
        "403": error_response("Another member's scan"),
        "409": error_response("The count is closed"),
    },
)
def withdraw_scan(number: int, client_id: str):
    count = count_service.get_count(db.session, number)
    scan = count_service.withdraw_scan(
        db.session, count, client_id, by=current_member(), at=clock.now()
    )
    answer = {"client_id": scan.client_id, "withdrawn_at": scan.withdrawn_at.isoformat()}
    return answer


@route(
    "/counts/{number}/differences",
    "GET",
    "What the count found different from the books (as decided, once closed)",
    tag="counts",
    responses={"200": {"description": "Differences", **list_response("CountDifference")}},
)
def count_differences(number: int):
    count = count_service.get_count(db.session, number)
    if count.is_open:
        lines = count_service.result(db.session, count, at=clock.now(), tz=clock.shop_tz())
    else:
        lines = count_service.decided_lines(db.session, count, tz=clock.shop_tz())
    return {"items": [difference_json(line) for line in lines]}


@route(
    "/counts/{number}/close",
    "POST",
    "Close the count, deciding every difference",
    role="coordinator",
    tag="counts",
    body=CLOSE_BODY,
    description="Refused (422, field `decisions`) when a difference is left undecided or "
    "the list changed since it was read (read the differences again); 409 once closed.",
    responses={
        "200": {"description": "Closed, with its decisions", **ref_response("StockCount")},
        "409": error_response("Already closed"),
    },
)
def close_count(number: int):
    require_coordinator()
    count = count_service.get_count(db.session, number)
    if not count.is_open:
        raise count_service.CountClosed("count.already_closed", "count")
    payload = json_body()
    problems = unknown_fields(payload, {"decisions"})
    given = payload.get("decisions")
    decisions = {}
    if not isinstance(given, dict):
        problems["decisions"] = [_l("Decide every difference before closing the count.")]
        given = {}
    for code, entry in given.items():
        field = f"decisions.{code}"
        if not isinstance(entry, dict):
            problems[field] = [_l("Expected an object.")]
            continue
        problems |= unknown_fields(entry, {"kind", "note"}, f"{field}.")
        try:
            decisions[code] = count_service.decided(
                entry.get("kind"), entry.get("note"), field=field
            )
        except InvalidInput as refusal:
            problems |= refusal.fields
    if problems:
        refuse(problems)
    count_service.close_count(
        db.session, count, decisions, by=current_member(), at=clock.now(),
        tz=clock.shop_tz(), lost_reason=not_found_at_count(count.number),
    )  # fmt: skip
    answer = count_json(count)
    return answer


def _echo(client_id: object) -> str:
    """A scan's id as the phone sent it, to match the answer to its scan: the text itself,
    or what was sent written as JSON when it was not text (it is refused then)."""
    return client_id if isinstance(client_id, str) else json.dumps(client_id)
