"""The OpenAPI 3 document, built from the API's own routes and the forms that check them.

Each API view is declared with :func:`operation`, which records its summary, request form
and responses; the request body's schema is derived from the same WTForms form that the
page uses, so the pages, the API and its document cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import Length, NumberRange

from shop.forms import DayField, MoneyField, PinField, Required

ERROR = {
    "type": "object",
    "required": ["error", "message", "fields"],
    "properties": {
        "error": {"type": "string", "example": "invalid_input"},
        "message": {"type": "string"},
        "fields": {
            "type": "object",
            "description": "For each field at fault, what is wrong with it.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    form: type | None = None
    partial: bool = False
    responses: dict = field(default_factory=dict)
    role: str = "member"
    tag: str = "members"
    query: tuple = ()  # (name, JSON schema) of query parameters
    body: dict | None = None  # a requestBody written out, for bodies that are not a form
    description: str = ""  # who sees what, when the answer depends on who asks
    security: list | None = None  # how a caller proves who it is, when not a token


OPERATIONS: list[Operation] = []
#: Path parameters that are strings (an item's code, an intake's ref, a day, a month
#: YYYY-MM); the others are ints.
STRING_PARAMS = {"code", "ref", "day", "month", "client_id"}
#: The pattern of a string path parameter when it is not a code's.
PARAM_PATTERNS = {"client_id": "^[A-Za-z0-9_-]{1,64}$"}
COMPONENTS: dict[str, dict] = {"Error": ERROR}


def operation(
    path: str,
    method: str,
    summary: str,
    *,
    form=None,
    partial=False,
    responses=None,
    role="member",
    tag="members",
    query=(),
    body=None,
    description="",
    security=None,
):
    """Record a view in the OpenAPI document (it must still be routed with ``bp.route``)."""

    def record(view):
        OPERATIONS.append(
            Operation(
                method.lower(),
                path,
                summary,
                form,
                partial,
                responses or {},
                role,
                tag,
                tuple(query),
                body,
                description,
                security,
            )
        )
        return view

    return record


def form_schema(form, *, partial: bool = False) -> dict:
    """A JSON Schema for a form's fields; ``partial`` drops ``required`` (for PATCH)."""
    properties, required = {}, []
    for name, bound in form._fields.items():
        if name == "csrf_token":
            continue
        schema = _field_schema(bound)
        if bound.description:
            schema["description"] = str(bound.description)
        schema.setdefault("title", str(bound.label.text))
        properties[name] = schema
        if (
            not partial
            and bound.default is None
            and any(isinstance(v, Required) for v in bound.validators)
        ):
            required.append(name)
    result = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        result["required"] = required
    return result


def _field_schema(bound) -> dict:
    if isinstance(bound, MoneyField):
        schema = {"type": "integer", "minimum": 0, "description": "whole đồng"}
    elif isinstance(bound, IntegerField):
        schema = {"type": "integer"}
    elif isinstance(bound, BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(bound, SelectField):
        values = [str(choice.value) for choice in bound.choices or []]
        schema = {"type": "string", "enum": values} if values else {"type": "string"}
    elif isinstance(bound, DayField):
        schema = {"type": "string", "format": "date"}
    elif isinstance(bound, PinField):
        schema = {"type": "string", "pattern": "^[0-9]{4,8}$"}
    else:
        schema = {"type": "string"}
    for validator in bound.validators:
        if isinstance(validator, Length) and validator.max and validator.max > 0:
            schema["maxLength"] = validator.max
        if isinstance(validator, NumberRange):
            if validator.min is not None:
                schema["minimum"] = validator.min
            if validator.max is not None:
                schema["maximum"] = validator.max
    if not any(isinstance(v, Required) for v in bound.validators):
        schema["nullable"] = True
    return schema


def error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def document(title: str, version: str) -> dict:
    """The whole OpenAPI 3.0 document for the API as it is registered now."""
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        words = op.path.strip("/").replace("{", "").replace("}", "").split("/")
        responses = {
            **op.responses,
            "401": error_response("Not signed in, or the token is unknown or revoked"),
        }
        entry = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": "_".join([op.method, *words]),
            "responses": responses,
        }
        if op.security is not None:
            entry["security"] = op.security
            responses["401"] = error_response("The key or the signature does not hold")
        if op.role == "coordinator":
            entry["description"] = "Only a coordinator (or a token with the coordinator role)."
            responses["403"] = error_response("Not a coordinator")
        elif op.role == "expense_recorder":
            entry["description"] = (
                "A coordinator; a member too when the shop's settings let members record "
                "expenses (off by default)."
            )
            responses["403"] = error_response("The shop lets only coordinators record expenses")
        if op.description:
            said = [entry.get("description"), op.description]
            entry["description"] = " ".join(filter(None, said))
        names = _path_params(op.path)
        if names:
            entry["parameters"] = [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {
                        "type": "string",
                        "pattern": PARAM_PATTERNS.get(name, "^[A-Za-z0-9-]{1,40}$"),
                    }
                    if name in STRING_PARAMS
                    else {"type": "integer", "minimum": 1},
                }
                for name in names
            ]
            responses.setdefault("404", error_response("No such thing"))
        if op.query:
            entry.setdefault("parameters", []).extend(
                {"name": name, "in": "query", "required": False, "schema": schema}
                for name, schema in op.query
            )
            # A query the shop cannot read (a NUL in it, say) is refused before the view.
            responses.setdefault("400", error_response("The query cannot be read"))
        if op.form is not None:
            form = op.form(formdata=None, meta={"csrf": False})
            schema = form_schema(form, partial=op.partial)
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema}},
            }
            responses["400"] = error_response("The body is not a JSON object")
            responses["415"] = error_response("The body is not sent as application/json")
            responses["422"] = error_response("A field is missing or wrong; `fields` names it")
        if op.body is not None:
            entry["requestBody"] = op.body
            # Read by shop.api.common.json_body, which refuses these before the view.
            responses.setdefault("400", error_response("The body is not a JSON object"))
            responses.setdefault("415", error_response("The body is not sent as application/json"))
            responses.setdefault("422", error_response("The body is missing or wrong"))
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": version,
            "description": "Amounts are whole đồng (integers). Dates are YYYY-MM-DD in the "
            "shop's time zone; moments are ISO 8601 with an offset. "
            "Errors answer with a JSON body naming the field at fault.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token a coordinator creates under Members → API tokens.",
                },
                "sepay": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "SePay's webhook key, sent as `Apikey <key>`.",
                },
                "casso": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Casso-Signature",
                    "description": "`t=<ms>,v1=<hex>`: HMAC-SHA512 with Casso's checksum "
                    "key over `<t>.` and the body as JSON with its keys sorted.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The signed-in page session; unsafe methods also "
                    "need the X-CSRFToken header.",
                },
            },
        },
    }


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
