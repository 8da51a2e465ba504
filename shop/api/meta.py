"""The API's own document: ``GET /api/v1/openapi.json``."""

from __future__ import annotations

from shop.api import route
from shop.api.spec import document


@route(
    "/openapi.json",
    "GET",
    "This document",
    tag="meta",
    responses={"200": {"description": "The OpenAPI 3 document"}},
)
def openapi():
    return document("Shop API", "1")
