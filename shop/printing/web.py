"""Price tags for the pages: items from the database to a PDF response, in her language."""

from __future__ import annotations

from flask import Response
from flask_babel import gettext as _

from shop.extensions import db
from shop.services.members import shop_profile


def tags_for(session, items) -> list:
    """The :class:`~shop.printing.tags.Tag` of each of ``items``, with the shop's name."""
    from shop.printing.tags import Tag

    profile = shop_profile(session)
    shop_name = profile.name if profile else _("Shop")
    return [
        Tag(
            code=item.code,
            price_dong=item.price_dong,
            category=item.category.name,
            description=item.description or "",
            size=item.size,
            intake_month=item.received_on.replace(day=1),
            shop_name=shop_name,
            quantity=item.quantity_received if item.is_lot else None,
        )
        for item in items
    ]


def tag_labels():
    from shop.printing.tags import TagLabels

    return TagLabels(size=_("Size"), each=_("each"), title=_("Price tags"))


def tag_pdf_response(items, filename: str, *, start: int = 1) -> Response:
    """An A4 sheet of tags for ``items``, from label ``start`` on (rendered after the
    request's data is read)."""
    from shop.printing.tags import render_tag_sheet

    tags = tags_for(db.session, items)
    db.session.rollback()  # nothing to write; release the database before the slow part
    return pdf_response(render_tag_sheet(tags, labels=tag_labels(), start=start), filename)


def pdf_response(pdf: bytes, filename: str) -> Response:
    """A PDF to open in the browser (and save under ``filename``)."""
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
