"""Members: joining, editing, leaving, PINs, signing in and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from shop.database import begin_writing, insert_if_absent, next_number, reading_only, settings_row
from shop.domain.phone import PhoneError, normalize_phone
from shop.domain.pin import (
    ADDRESS_PREFIX,
    CLEAR,
    LockPolicy,
    LockState,
    PinError,
    address_key,
    check_new_pin,
    clean_address,
)
from shop.domain.text import tidy
from shop.models import ApiToken, Member, PinLock, Role, ShopProfile, SignInEvent
from shop.services import audit
from shop.services.days import FUTURE_DAY
from shop.services.errors import ClockTime, Forbidden, InvalidInput, NotFound, SignInRefused

# Checked against when the phone is unknown, so a wrong phone takes as long as a wrong PIN.
#: How a new PIN is hashed: werkzeug's default (scrypt). A stored hash names its own
#: method, so hashes made another way still check; the test suite lowers the cost here
#: (tests/conftest.py) because it sets hundreds of PINs.
PIN_HASH_METHOD = "scrypt"


def _new_pin_hash(pin: str) -> str:
    return generate_password_hash(pin, method=PIN_HASH_METHOD)


_DUMMY_HASH = _new_pin_hash("not-a-pin")
TOKEN_PREFIX = "shop_"  # noqa: S105 a marker, not a secret


@dataclass(frozen=True)
class MemberDetails:
    """What a coordinator can set on a member. ``phone`` is as typed; ``None`` for none."""

    name: str
    phone: str | None
    role: Role
    joined_on: date
    left_on: date | None = None


def has_members(session: Session) -> bool:
    return session.scalar(select(func.count(Member.id))) > 0


def get_member(session: Session, number: int) -> Member:
    member = session.scalar(select(Member).where(Member.number == number))
    if member is None:
        raise NotFound("member.no_such_number", "number", number=number)
    return member


def list_members(session: Session, *, include_left: bool = True) -> list[Member]:
    query = select(Member).order_by(Member.number)
    if not include_left:
        query = query.where(Member.left_on.is_(None))
    return list(session.scalars(query))


def active_members(session: Session, today: date) -> list[Member]:
    """Members who have not left by ``today``, in number order (for the counter switch)."""
    query = (
        select(Member)
        .where((Member.left_on.is_(None)) | (Member.left_on >= today))
        .order_by(Member.number)
    )
    return list(session.scalars(query))


def create_member(
    session: Session,
    details: MemberDetails,
    pin: str | None,
    *,
    country_code: str,
    number: int | None = None,
    by: Member | None = None,
    today: date | None = None,
) -> Member:
    """Add a member with the next free number (or ``number``, for imports) and her PIN.
    ``today``: the shop's date, after which she cannot have joined (``None``: not checked,
    for history entered as it was).

    ``pin`` may be ``None`` for a member who will have one set later by a coordinator.
    """
    # Hash first: the slow part stays outside the write transaction that the queries open
    # (a request that reads first ends its reading here).
    begin_writing(session)
    problems: dict[str, list] = {}
    pin_hash = None
    if pin is not None:
        try:
            check_new_pin(pin)
        except PinError as error:
            problems["pin"] = [f"pin.{error.code}"]
        else:
            pin_hash = _new_pin_hash(pin)  # before any query, as said above
    try:
        phone = _clean_phone(details.phone, country_code)
    except InvalidInput as error:
        phone, problems["phone"] = None, [error.code]
    problems = {
        **detail_problems(
            session,
            name=details.name,
            phone=phone,
            joined_on=details.joined_on,
            left_on=details.left_on,
            today=today,
        ),
        **problems,
    }
    _refuse(problems)
    if number is None:
        number = next_number(session, Member.number)
    elif session.scalar(select(Member.id).where(Member.number == number)):
        raise InvalidInput("member.number_taken", "number", number=number)
    member = Member(
        number=number,
        name=details.name.strip(),
        phone=phone,
        role=details.role,
        joined_on=details.joined_on,
        left_on=details.left_on,
        pin_hash=pin_hash,
    )
    session.add(member)
    session.flush()
    if by is not None:
        audit.record(
            session, "member_added", by=by, subject=f"member {member.number}",
            name=member.name, role=member.role, joined_on=member.joined_on,
        )  # fmt: skip
    return member


def update_member(
    session: Session,
    member: Member,
    details: MemberDetails,
    *,
    country_code: str,
    acting: Member | None = None,
    today: date | None = None,
) -> Member:
    """Change a member's name, phone, role or dates. Her number never changes. (``today``
    as for :func:`create_member`.)

    A coordinator cannot take away her own coordinator role or mark herself as left, so the
    shop can never end up with nobody able to manage it by accident.
    """
    phone = _clean_phone(details.phone, country_code)
    _check_details(session, details, phone, member=member, today=today)
    if acting is not None and acting.id == member.id:
        if details.role != Role.COORDINATOR and member.role == Role.COORDINATOR:
            raise InvalidInput("member.own_role", "role")
        if details.left_on is not None:
            raise InvalidInput("member.own_leaving", "left_on")
    if phone != member.phone or details.left_on != member.left_on:
        member.session_version += 1
    changes = {
        name: [_plain_value(getattr(member, name)), _plain_value(new)]
        for name, new in (
            ("name", details.name.strip()),
            ("phone", phone),
            ("role", details.role),
            ("joined_on", details.joined_on),
            ("left_on", details.left_on),
        )
        if getattr(member, name) != new
    }
    if changes and acting is not None:
        audit.record(
            session, "member_changed", by=acting, subject=f"member {member.number}", **changes
        )
    member.name = details.name.strip()
    member.phone = phone
    member.role = details.role
    member.joined_on = details.joined_on
    member.left_on = details.left_on
    session.flush()
    return member


def set_pin(session: Session, member: Member, new_pin: str, *, by: Member | None = None) -> None:
    """Give a member a new PIN (a coordinator's reset, ``by`` her). Her other sessions end.

    The log keeps that it happened and who did it, never the PIN.
    """
    begin_writing(session)  # hashing is slow: no write lock while it runs
    _store_pin(session, member, _hash_pin(new_pin), by=by)


def _store_pin(session: Session, member: Member, pin_hash: str, *, by: Member | None) -> None:
    member.pin_hash = pin_hash
    if by is not None:
        action = "pin_changed" if by.id == member.id else "pin_reset"
        audit.record(session, action, by=by, subject=f"member {member.number}")
    member.session_version += 1
    for key in {member.phone, _switch_key(member), f"pin-change:{member.id}"} - {None}:
        _clear_lock(session, key)
    session.flush()


def sign_out(session: Session, member: Member) -> None:
    """End every session of hers: on this device, on any other, and any copy of their
    cookies (the session's and the 30-day "remember me" one). They all carry her session
    version, which this moves on, as a new PIN does."""
    member.session_version += 1
    session.flush()


def change_own_pin(
    session: Session,
    member: Member,
    current_pin: str,
    new_pin: str,
    *,
    now: datetime,
    today: date,
    policy: LockPolicy,
) -> None:
    """A member changes her own PIN; she must know the current one.

    Wrong current PINs count like wrong PINs at sign-in and lock the change for a while
    (someone holding her unlocked phone cannot guess it); the caller commits even when this
    refuses, so that the count is kept.
    """
    differs = current_pin != new_pin
    if differs:
        _hash_pin_check(new_pin, "new_pin")  # a weak new PIN is refused before any count
    try:
        # The new PIN is hashed once the current one is known to be right, with no write
        # lock held, like the check itself.
        member, new_hash = _check_pin(
            session, [f"pin-change:{member.id}"], member, current_pin, now=now, today=today,
            policy=policy, method="pin_change", phone=member.phone, address=None,
            then=(lambda: _new_pin_hash(new_pin)) if differs else None,
        )  # fmt: skip
    except SignInRefused as error:
        status = error.status if error.locked_until is not None else None
        raise InvalidInput(error.code, "current_pin", status=status, **error.values) from None
    if not differs:
        raise InvalidInput("pin.same_as_before", "new_pin")
    _store_pin(session, member, new_hash, by=member)


def sign_in_with_phone(
    session: Session,
    phone_text: str,
    pin: str,
    *,
    now: datetime,
    today: date,
    country_code: str,
    policy: LockPolicy,
    address: str | None = None,
    method: str = "phone",
) -> Member:
    """Check a phone number and PIN; return the member, or raise :class:`SignInRefused`.

    ``address`` is where the attempt came from. Wrong PINs are counted for the phone and
    for the address (see :class:`LockPolicy`); while either is locked, attempts are refused
    at once, without checking the PIN and without writing anything. Every attempt whose PIN
    was checked is recorded; the caller commits when this refuses too, so that the count
    survives the refusal.
    """
    try:
        phone = normalize_phone(phone_text, country_code=country_code)
    except PhoneError as error:
        raise SignInRefused(f"phone.{error.code}", "phone") from None
    member = session.scalar(select(Member).where(Member.phone == phone))
    keys = [phone, address_key(address)]
    member, _ = _check_pin(
        session, [k for k in keys if k], member, pin, now=now, today=today, policy=policy,
        method=method, phone=phone, address=address,
    )  # fmt: skip
    return member


def sign_in_by_switch(
    session: Session, number: int, pin: str, *, now: datetime, today: date, policy: LockPolicy
) -> Member:
    """The counter's "who is selling now?": a member taps her name and types her PIN.

    Counted for her phone (the same count as her sign-ins) but not for the counter's
    address: the switch is used by a signed-in member on the shop's own device, where one
    member's typos must not stop the others from taking over.
    """
    member = get_member(session, number)
    member, _ = _check_pin(
        session, [_switch_key(member)], member, pin, now=now, today=today, policy=policy,
        method="switch", phone=member.phone, address=None,
    )  # fmt: skip
    return member


def _check_pin(
    session, keys, member, pin, *, now, today, policy, method, phone, address, then=None
):
    """Check ``pin`` for ``member`` (or ``None`` when the phone is nobody's), counted for
    each of ``keys``; return (the member, what ``then()`` returned once the PIN was right).

    Three steps, so that the slow hash holds no write lock (on SQLite the whole database):
    the locks are read first (in the request's reading-only transaction when its view
    :func:`~shop.database.reads_first`), and a locked key refuses at once, writing
    nothing; then the hash is checked (and ``then``, more slow work, done) with no
    transaction open; then a short write transaction reads the counts again, row-locked,
    and records the outcome. An attempt whose keys another attempt locked meanwhile is
    refused as locked, whatever its PIN: a flood of attempts at once learns nothing more
    than the allowed number of wrong PINs tells.
    """
    keys = sorted(set(keys))  # always locked in the same order (PostgreSQL row locks)
    _refuse_if_locked(_lock_states(session, keys, for_update=False), now)
    member_id = member.id if member is not None else None
    pin_hash = member.pin_hash if member is not None else None
    begin_writing(session)
    pin_ok = check_password_hash(pin_hash or _DUMMY_HASH, pin or "") and pin_hash is not None
    extra = then() if pin_ok and then is not None else None
    # The write transaction: short, whatever happened meanwhile is read again.
    for key in keys:
        insert_if_absent(session, PinLock, key=key, failures=0)
    rows = _lock_states(session, keys, for_update=True)
    _refuse_if_locked(rows, now)
    member = session.get(Member, member_id) if member_id is not None else None
    if not pin_ok:
        outcome = "wrong_pin" if member is not None else "unknown"
        _record(session, phone, member, method, outcome, now, address)
        locked = []
        for row in rows.values():
            state = _state(row).after_wrong_pin(policy.limit(row.key), policy, now)
            row.failures, row.locked_until, row.locks = (
                state.failures,
                state.locked_until,
                state.locks,
            )
            if state.is_locked(now):
                locked.append(row)
        session.flush()
        if locked:
            _refuse_if_locked({row.key: row for row in locked}, now)
        left = min(policy.limit(row.key) - row.failures for row in rows.values())
        wrong = {"pin_change": "pin.current_wrong", "switch": "pin.wrong"}
        raise SignInRefused(wrong.get(method, "sign_in.wrong"), "pin", left=left)
    for row in rows.values():
        row.failures, row.locked_until, row.locks = CLEAR.failures, CLEAR.locked_until, CLEAR.locks
    if member.has_left_by(today):
        _record(session, phone, member, method, "left", now, address)
        raise SignInRefused("sign_in.member_left", "phone")
    if method != "pin_change":  # knowing her own PIN again is not a sign-in
        _record(session, phone, member, method, "ok", now, address)
    session.flush()
    return member, extra


def create_token(session: Session, owner: Member, name: str, role: Role) -> tuple[ApiToken, str]:
    """Make a bearer token for a script; return its row and the secret, shown only once.

    A token acts as ``owner`` with at most ``role``; only coordinators may create one.
    """
    if not owner.is_coordinator:
        raise Forbidden("token.coordinators_only")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("token.name_missing", "name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        role=role,
        member=owner,
        token_hash=_token_hash(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 4],
    )
    session.add(token)
    session.flush()
    audit.record(
        session, "token_created", by=owner, subject=f"token {token.id}", name=name, role=role
    )
    return token, secret


def revoke_token(
    session: Session, token_id: int, *, now: datetime, by: Member | None = None
) -> ApiToken:
    """Revoke a token for good; the row stays so its history can be read."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("token.not_found", "id")
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(
            session, "token_revoked", by=by, at=now, subject=f"token {token.id}", name=token.name
        )
        session.flush()
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


#: How often a token's last use is written down (its list shows it to the minute).
TOKEN_USE_KEPT_EVERY = timedelta(minutes=1)

#: A token's member, and what of the token decides, in one query (every API request comes
#: here: the token's own object costs more to make than the query to run), made once.
_MEMBER_OF_TOKEN = (
    select(Member, ApiToken.id, ApiToken.role, ApiToken.revoked_at, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.member_id == Member.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def member_for_token(session: Session, secret: str, *, now: datetime, today: date):
    """The (member, role) a bearer secret stands for, or ``None`` if it is unknown or revoked.

    The role is the lower of the token's scope and the member's own role, and a member who
    has left (or been made a plain member) takes her tokens' powers with her.
    """
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.execute(_MEMBER_OF_TOKEN, {"token_hash": _token_hash(secret)}).first()
    if token is None or token.revoked_at is not None or token.Member.has_left_by(today):
        return None
    used = token.last_used_at
    if not reading_only.get() and (used is None or now - used >= TOKEN_USE_KEPT_EVERY):
        # A GET must not write: on SQLite it reads a snapshot that cannot take the write lock.
        # Kept to the minute: a device's every sale need not write it again (nor read the
        # token's object).
        session.get(ApiToken, token.id).last_used_at = now
    role = (
        Role.COORDINATOR
        if (token.role == Role.COORDINATOR and token.Member.is_coordinator)
        else Role.MEMBER
    )
    return token.Member, role


def shop_profile(session: Session) -> ShopProfile | None:
    return settings_row(session, ShopProfile)


def save_shop_profile(session: Session, name: str, address: str = "") -> ShopProfile:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("shop.name_missing", "shop_name")
    profile = settings_row(session, ShopProfile) or ShopProfile(id=1)
    profile.name = name
    profile.address = (address or "").strip()
    session.add(profile)
    session.flush()
    return profile


def detail_problems(
    session: Session,
    *,
    name: str | None,
    phone: str | None,
    joined_on: date | None,
    left_on: date | None,
    member: Member | None = None,
    today: date | None = None,
) -> dict[str, list]:
    """Every problem with a member's details at once, as ``{field: [message, ...]}`` (empty
    when there is none), so a form shows them all together rather than one per try.
    ``phone`` is already normalised; ``None`` values are not checked (the form says so).
    """
    problems: dict[str, list] = {}
    name = (name or "").strip()
    if not name:
        problems["name"] = ["member.name_missing"]
    elif len(name) > 120:
        problems["name"] = ["member.name_too_long"]
    if joined_on is not None and left_on is not None and left_on < joined_on:
        problems["left_on"] = ["member.left_before_joining"]
    if joined_on is not None and today is not None and joined_on > today:
        problems["joined_on"] = [FUTURE_DAY]
    if phone is not None:
        other = session.scalar(select(Member).where(Member.phone == phone))
        if other is not None and other is not member:
            problems["phone"] = [("member.phone_taken", {"number": other.number})]
    return problems


def _refuse(problems: dict[str, list]) -> None:
    """Raise one refusal carrying every problem (the first one as its message)."""
    if problems:
        field, messages = next(iter(problems.items()))
        code, values = messages[0] if isinstance(messages[0], tuple) else (messages[0], {})
        raise InvalidInput(code, field, fields=problems, **values)


def _check_details(
    session, details: MemberDetails, phone: str | None, member, today: date | None = None
) -> None:
    _refuse(
        detail_problems(
            session,
            name=details.name,
            phone=phone,
            joined_on=details.joined_on,
            left_on=details.left_on,
            member=member,
            today=today,
        )
    )


def _clean_phone(text: str | None, country_code: str) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        return normalize_phone(text, country_code=country_code)
    except PhoneError as error:
        raise InvalidInput(f"phone.{error.code}", "phone") from None


def _hash_pin(pin: str) -> str:
    _hash_pin_check(pin)
    return _new_pin_hash(pin)


def _hash_pin_check(pin: str, field: str = "pin") -> None:
    try:
        check_new_pin(pin)
    except PinError as error:
        raise InvalidInput(f"pin.{error.code}", field) from None


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _switch_key(member: Member) -> str:
    return member.phone or f"member:{member.number}"


def _lock_states(session: Session, keys: list[str], *, for_update: bool) -> dict[str, PinLock]:
    query = select(PinLock).where(PinLock.key.in_(keys)).order_by(PinLock.key)
    if for_update:
        query = query.with_for_update()
    return {row.key: row for row in session.scalars(query)}


def _state(row: PinLock) -> LockState:
    return LockState(row.failures, row.locked_until, row.locks or 0)


def _refuse_if_locked(rows: dict[str, PinLock], now: datetime) -> None:
    """Refuse, saying until when, if any of ``rows`` is locked (a phone's lock first)."""
    locked = [row for row in rows.values() if _state(row).is_locked(now)]
    if not locked:
        return
    phones = [row for row in locked if not row.key.startswith(ADDRESS_PREFIX)]
    until = max(row.locked_until for row in locked)
    if phones:
        phone_until = max(row.locked_until for row in phones)
        raise SignInRefused("pin.phone_locked", locked_until=until, time=ClockTime(phone_until))
    raise SignInRefused("pin.device_locked", locked_until=until, time=ClockTime(until))


def _clear_lock(session: Session, key: str) -> None:
    lock = session.get(PinLock, key)
    if lock is not None:
        lock.failures, lock.locked_until, lock.locks = CLEAR.failures, None, CLEAR.locks


def _plain_value(value):
    return getattr(value, "value", value)


def _record(session, phone, member, method, outcome, now, address=None) -> None:
    session.add(
        SignInEvent(
            at=now, phone=phone, member=member, method=method, outcome=outcome,
            address=clean_address(address),
        )
    )  # fmt: skip
    session.flush()


def save_shop_settings(
    session: Session,
    *,
    name: str,
    address: str,
    bank_bin: str,
    bank_account: str,
    bank_account_name: str,
    receipt_footer: str,
    by: Member | None = None,
) -> ShopProfile:
    """Change the shop's name, address, bank account for transfers and receipt footer.

    The bank account is checked as VietQR needs it (a 6-digit BIN, an account of letters
    and digits); leave both empty for a shop that takes no transfers.
    """
    from shop.domain.vietqr import BankAccount, VietQRError

    profile = save_shop_profile(session, name, address)
    bank_bin, bank_account = (bank_bin or "").strip(), (bank_account or "").replace(" ", "")
    if bank_bin or bank_account:
        try:
            BankAccount(bank_bin, bank_account, bank_account_name or "")
        except VietQRError as error:
            field = "bank_bin" if error.code == "bin" else "bank_account"
            raise InvalidInput(f"shop.{field}_invalid", field) from None
    profile.bank_bin = bank_bin or None
    profile.bank_account = bank_account or None
    profile.bank_account_name = tidy(bank_account_name) or None
    profile.receipt_footer = (receipt_footer or "").strip()
    if by is not None:
        audit.record(
            session, "shop_settings", by=by, name=profile.name, address=profile.address,
            bank_bin=profile.bank_bin, bank_account=profile.bank_account,
            receipt_footer=profile.receipt_footer,
        )  # fmt: skip
    session.flush()
    return profile
