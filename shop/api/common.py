"""What every API view needs: the JSON body, checking it with a page's form, responses."""

from __future__ import annotations

from typing import NoReturn

from flask import request
from flask_babel import lazy_gettext as _l

from shop.domain.text import MAX_JSON_DEPTH, TooDeep, clean_tree
from shop.services.errors import InvalidInput


def ref_response(name: str) -> dict:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def list_response(item: str | dict) -> dict:
    """A JSON object whose ``items`` are a list of the schema named ``item`` (or of the
    schema ``item`` itself)."""
    items = {"$ref": f"#/components/schemas/{item}"} if isinstance(item, str) else item
    return {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {"items": {"type": "array", "items": items}},
                }
            }
        }
    }


def json_body() -> dict:
    """The request's JSON object, or a 4xx that says what is wrong with the body.

    Every API view reads its body here: JSON nested deeper than
    :data:`~shop.domain.text.MAX_JSON_DEPTH` is refused with a 400 naming the field it is
    under (or the body, when the parser itself gives up), before anything walks it.
    """
    if not request.is_json:
        raise InvalidInput("body.not_json", "body", status=415)
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # nested thousands deep: the parser's own stack ran out
        raise InvalidInput("body.too_deep", "body", status=400, depth=MAX_JSON_DEPTH) from None
    if not isinstance(payload, dict):
        raise InvalidInput("body.not_object", "body", status=400)
    try:
        # Every text as the shop keeps it (no NUL, no lone surrogates, NFC), wherever it
        # sits: the forms clean their own fields, but a sale's lines are a list.
        return clean_tree(payload)
    except TooDeep as error:
        raise InvalidInput(
            "body.too_deep", str(error.key), status=400, depth=MAX_JSON_DEPTH
        ) from None


def validated(form_class, payload: dict, *, current: dict | None = None, prepare=None):
    """Check a JSON object with the page's own form; raise 422 naming every field at fault.

    ``current`` holds the stored values a partial update (PATCH) starts from; ``prepare``
    gets the form before it is checked (to fill in choices read from the database).
    """
    known = set(form_class(formdata=None, meta={"csrf": False})._fields) - {"csrf_token"}
    problems = unknown_fields(payload, known)
    problems |= {
        name: [_l("Expected a single value, not a list or an object.")]
        for name, value in payload.items()
        if name in known and isinstance(value, dict | list)
    }
    if not problems:
        form = form_class.from_json({**(current or {}), **payload})
        if prepare is not None:
            prepare(form)
        if form.validate():
            return form
        problems = form.field_errors()
    refuse(problems)


def unknown_fields(payload: dict, known: set[str], prefix: str = "") -> dict:
    """ "Unknown field." for each key of ``payload`` not in ``known`` (named ``prefix`` +
    key), in the shape :func:`refuse` takes."""
    return {f"{prefix}{name}": [_l("Unknown field.")] for name in sorted(set(payload) - known)}


def refuse(problems: dict) -> NoReturn:
    """The API's 422 naming every field at fault (``problems``: field → messages)."""
    raise InvalidInput("body.needs_fixing", next(iter(problems)), fields=problems)


def client_key(form) -> str | None:
    """The request's client id: the body's ``client_id``, else the ``Idempotency-Key``
    header, else ``None`` (then a retry is not recognised). A malformed one is refused."""
    from shop.services.idempotency import checked_client_id

    if form.client_id.data:
        return form.client_id.data
    return checked_client_id(request.headers.get("Idempotency-Key"), "Idempotency-Key")
