"""The members API: members, their PINs and API tokens, and who is signed in (``/me``)."""

from __future__ import annotations

from flask import current_app, g
from flask_login import login_user

from shop import clock
from shop.api import require_coordinator, route
from shop.api.common import json_body, list_response, ref_response, validated
from shop.api.spec import COMPONENTS, error_response
from shop.auth.access import current_member, current_role, lock_policy
from shop.auth.forms import ChangePinForm
from shop.database import reads_first
from shop.extensions import db
from shop.members.forms import MemberForm, NewMemberForm, ResetPinForm, TokenForm
from shop.models import ApiToken, Member, Role
from shop.services import members as member_service
from shop.services.errors import InvalidInput

COMPONENTS["Member"] = {
    "type": "object",
    "required": ["number", "name", "role", "joined_on", "left_on", "has_pin"],
    "properties": {
        "number": {"type": "integer", "minimum": 1},
        "name": {"type": "string"},
        "phone": {
            "type": "string",
            "nullable": True,
            "description": "shown to coordinators and to the member herself",
        },
        "role": {"type": "string", "enum": ["member", "coordinator"]},
        "joined_on": {"type": "string", "format": "date"},
        "left_on": {"type": "string", "format": "date", "nullable": True},
        "has_pin": {"type": "boolean"},
    },
}
COMPONENTS["Token"] = {
    "type": "object",
    "required": ["id", "name", "prefix", "role", "member", "created_at", "revoked_at"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "prefix": {"type": "string", "description": "the first characters, to recognise it"},
        "role": {"type": "string", "enum": ["member", "coordinator"]},
        "member": {"type": "integer", "description": "the number of the member it acts as"},
        "created_at": {"type": "string", "format": "date-time"},
        "revoked_at": {"type": "string", "format": "date-time", "nullable": True},
        "last_used_at": {"type": "string", "format": "date-time", "nullable": True},
        "secret": {"type": "string", "description": "only in the answer that creates it"},
    },
}


def member_json(member: Member) -> dict:
    viewer = current_member()
    sees_phone = current_role() == Role.COORDINATOR or (
        viewer is not None and viewer.id == member.id
    )
    return {
        "number": member.number,
        "name": member.name,
        "phone": member.phone if sees_phone else None,
        "role": member.role.value,
        "joined_on": member.joined_on.isoformat(),
        "left_on": member.left_on.isoformat() if member.left_on else None,
        "has_pin": member.pin_hash is not None,
    }


def token_json(token: ApiToken, secret: str | None = None) -> dict:
    data = {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "role": token.role.value,
        "member": token.member.number,
        "created_at": token.created_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
    }
    if secret is not None:
        data["secret"] = secret
    return data


@route(
    "/me",
    "GET",
    "The member this request acts as, with the role it acts with (a token's, at most hers)",
    responses={"200": {"description": "Her record", **ref_response("Member")}},
)
def me():
    return {**member_json(current_member()), "role": current_role().value}


@route(
    "/me/pin",
    "POST",
    "Change my own PIN",
    form=ChangePinForm,
    responses={
        "204": {"description": "Changed"},
        "429": error_response("Too many wrong current PINs: locked for a while"),
    },
)
@reads_first  # the PINs are hashed with no write lock held
def change_my_pin():
    form = validated(ChangePinForm, json_body())
    member = current_member()
    try:
        member_service.change_own_pin(
            db.session,
            member,
            form.current_pin.data,
            form.new_pin.data,
            now=clock.now(),
            today=clock.today(),
            policy=lock_policy(),
        )
    except InvalidInput:
        db.session.commit()  # keep the count of wrong PINs, then answer with the refusal
        raise
    if g.get("api_member") is None:
        login_user(member)  # the page session carries the new PIN's version
    return "", 204


@route(
    "/members",
    "GET",
    "All members, those who left included, by number",
    responses={"200": {"description": "The members", **list_response("Member")}},
)
def list_members():
    return {"items": [member_json(m) for m in member_service.list_members(db.session)]}


@route(
    "/members",
    "POST",
    "Add a member",
    form=NewMemberForm,
    role="coordinator",
    responses={"201": {"description": "Added", **ref_response("Member")}},
)
@reads_first  # her PIN is hashed with no write lock held
def create_member():
    require_coordinator()
    form = validated(NewMemberForm, json_body())
    member = member_service.create_member(
        db.session,
        form.details(),
        form.pin.data,
        country_code=current_app.config["SHOP_COUNTRY_CODE"],
        by=current_member(),
        today=clock.today(),
    )
    return member_json(member), 201


@route(
    "/members/{number}",
    "GET",
    "One member",
    responses={"200": {"description": "The member", **ref_response("Member")}},
)
def get_member(number: int):
    return member_json(member_service.get_member(db.session, number))


@route(
    "/members/{number}",
    "PATCH",
    "Change a member's name, phone, role or dates",
    form=MemberForm,
    partial=True,
    role="coordinator",
    responses={"200": {"description": "Changed", **ref_response("Member")}},
)
def update_member(number: int):
    require_coordinator()
    member = member_service.get_member(db.session, number)
    current = {
        "name": member.name,
        "phone": member.phone,
        "role": member.role.value,
        "joined_on": member.joined_on.isoformat(),
        "left_on": member.left_on.isoformat() if member.left_on else None,
    }
    form = validated(MemberForm, json_body(), current=current)
    member_service.update_member(
        db.session,
        member,
        form.details(),
        country_code=current_app.config["SHOP_COUNTRY_CODE"],
        acting=current_member(),
        today=clock.today(),
    )
    return member_json(member)


@route(
    "/members/{number}/pin",
    "PUT",
    "Set a new PIN for a member (a coordinator's reset)",
    form=ResetPinForm,
    role="coordinator",
    responses={"204": {"description": "Set"}},
)
@reads_first  # the PIN is hashed with no write lock held
def reset_member_pin(number: int):
    require_coordinator()
    member = member_service.get_member(db.session, number)
    form = validated(ResetPinForm, json_body())
    member_service.set_pin(db.session, member, form.pin.data, by=current_member())
    return "", 204


@route(
    "/tokens",
    "GET",
    "API tokens, newest first",
    role="coordinator",
    tag="tokens",
    responses={"200": {"description": "The tokens", **list_response("Token")}},
)
def list_tokens():
    require_coordinator()
    return {"items": [token_json(t) for t in member_service.list_tokens(db.session)]}


@route(
    "/tokens",
    "POST",
    "Create an API token; the secret is in this answer only",
    form=TokenForm,
    role="coordinator",
    tag="tokens",
    responses={"201": {"description": "Created", **ref_response("Token")}},
)
def create_token():
    require_coordinator()
    form = validated(TokenForm, json_body())
    token, secret = member_service.create_token(
        db.session, current_member(), form.name.data, Role(form.role.data)
    )
    return token_json(token, secret), 201


@route(
    "/tokens/{token_id}",
    "DELETE",
    "Revoke a token (its record is kept)",
    role="coordinator",
    tag="tokens",
    responses={"200": {"description": "Revoked", **ref_response("Token")}},
)
def revoke_token(token_id: int):
    require_coordinator()
    token = member_service.revoke_token(db.session, token_id, now=clock.now(), by=current_member())
    return token_json(token)
