import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Member, Role, SignInEvent
from shop.services import members as svc
from shop.services.errors import InvalidInput, NotFound, SignInRefused

POLICY = svc.LockPolicy(max_failures=5, lock_minutes=15)
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)


def details(name="Nguyễn Thị Út", phone="0912 000 003", role=Role.MEMBER, **kw):
    return svc.MemberDetails(
        name=name, phone=phone, role=role, joined_on=kw.pop("joined_on", date(2026, 10, 1)), **kw
    )


@pytest.fixture
def ctx(app):
    with app.app_context(), app.test_request_context():
        yield db.session


def test_numbers_follow_on_and_phone_is_normalised(ctx):
    first = svc.create_member(ctx, details(name="A", phone="0912000001"), "2468", country_code="84")
    second = svc.create_member(
        ctx, details(name="B", phone="+84 912 000 002"), None, country_code="84"
    )
    assert (first.number, second.number) == (1, 2)
    assert second.phone == "0912000002"
    assert second.pin_hash is None
    assert first.pin_hash and "2468" not in first.pin_hash


def test_phone_must_be_unique(ctx):
    svc.create_member(ctx, details(phone="0912000003"), "2468", country_code="84")
    with pytest.raises(InvalidInput) as caught:
        svc.create_member(
            ctx, details(name="Other", phone="+84912000003"), "2468", country_code="84"
        )
    assert caught.value.field == "phone"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"phone": "12"}, "phone"),
        ({"left_on": date(2026, 9, 1)}, "left_on"),
    ],
)
def test_refusals_name_their_field(ctx, kwargs, field):
    with pytest.raises(InvalidInput) as caught:
        svc.create_member(ctx, details(**kwargs), "2468", country_code="84")
    assert caught.value.field == field
    assert ctx.scalar(select(Member.id)) is None


def test_weak_pin_is_refused(ctx):
    with pytest.raises(InvalidInput) as caught:
        svc.create_member(ctx, details(), "1111", country_code="84")
    assert caught.value.field == "pin"


def test_member_without_phone_can_exist(ctx):
    member = svc.create_member(ctx, details(phone=None), "2468", country_code="84")
    assert member.phone is None


def test_sign_in_with_phone_and_pin(ctx):
    svc.create_member(ctx, details(phone="0912000003"), "3579", country_code="84")
    member = svc.sign_in_with_phone(
        ctx, "0912 000 003", "3579", now=NOW, today=TODAY, country_code="84", policy=POLICY
    )
    assert member.number == 1
    outcomes = ctx.scalars(select(SignInEvent.outcome)).all()
    assert outcomes == ["ok"]


def test_five_wrong_pins_lock_the_phone_for_fifteen_minutes(ctx):
    svc.create_member(ctx, details(phone="0912000003"), "3579", country_code="84")
    for attempt in range(4):
        with pytest.raises(SignInRefused) as caught:
            svc.sign_in_with_phone(
                ctx, "0912000003", "0000", now=NOW, today=TODAY, country_code="84", policy=POLICY
            )
        assert caught.value.locked_until is None, attempt
    with pytest.raises(SignInRefused) as caught:
        svc.sign_in_with_phone(
            ctx, "0912000003", "0000", now=NOW, today=TODAY, country_code="84", policy=POLICY
        )
    assert caught.value.locked_until == NOW + timedelta(minutes=15)
    # Even the right PIN is refused while locked ...
    with pytest.raises(SignInRefused):
        svc.sign_in_with_phone(
            ctx,
            "0912000003",
            "3579",
            now=NOW + timedelta(minutes=14),
            today=TODAY,
            country_code="84",
            policy=POLICY,
        )
    # ... and accepted once the 15 minutes are over.
    member = svc.sign_in_with_phone(
        ctx,
        "0912000003",
        "3579",
        now=NOW + timedelta(minutes=15),
        today=TODAY,
        country_code="84",
        policy=POLICY,
    )
    assert member.number == 1


def test_a_right_pin_resets_the_count(ctx):
    svc.create_member(ctx, details(phone="0912000003"), "3579", country_code="84")
    for _ in range(4):
        with pytest.raises(SignInRefused):
            svc.sign_in_with_phone(
                ctx, "0912000003", "0000", now=NOW, today=TODAY, country_code="84", policy=POLICY
            )
    svc.sign_in_with_phone(
        ctx, "0912000003", "3579", now=NOW, today=TODAY, country_code="84", policy=POLICY
    )
    for _ in range(4):
        with pytest.raises(SignInRefused) as caught:
            svc.sign_in_with_phone(
                ctx, "0912000003", "0000", now=NOW, today=TODAY, country_code="84", policy=POLICY
            )
        assert caught.value.locked_until is None


def test_unknown_phone_is_refused_like_a_wrong_pin_and_locks_too(ctx):
    messages = set()
    for _ in range(5):
        with pytest.raises(SignInRefused) as caught:
            svc.sign_in_with_phone(
                ctx, "0999999999", "2468", now=NOW, today=TODAY, country_code="84", policy=POLICY
            )
        messages.add(caught.value.field)
    assert messages == {"pin"}
    assert caught.value.locked_until is not None


def attempt(ctx, phone, pin, *, address, now=NOW, policy=POLICY):
    return svc.sign_in_with_phone(
        ctx, phone, pin, now=now, today=TODAY, country_code="84", policy=policy, address=address
    )


def failures(ctx, key):
    from shop.models import PinLock

    row = ctx.get(PinLock, key)
    return row.failures if row is not None else 0


def test_an_address_is_locked_after_three_wrong_pins_whichever_phones(ctx):
    for number in range(1, 5):
        svc.create_member(
            ctx, details(name=f"M{number}", phone=f"091200000{number}"), "3579", country_code="84"
        )
    for phone in ("0912000001", "0912000002"):
        with pytest.raises(SignInRefused) as caught:
            attempt(ctx, phone, "0000", address="10.0.0.7")
        assert caught.value.status == 401
    with pytest.raises(SignInRefused) as caught:
        attempt(ctx, "0999999999", "0000", address="10.0.0.7")  # nobody's phone counts too
    assert caught.value.locked_until == NOW + timedelta(minutes=15)
    assert caught.value.status == 429
    assert "this device" in str(caught.value.message) or "máy này" in str(caught.value.message)
    events = ctx.scalar(select(func.count(SignInEvent.id)))
    # Locked: even member 4's right PIN is refused from there, at once and unrecorded ...
    with pytest.raises(SignInRefused) as caught:
        attempt(ctx, "0912000004", "3579", address="10.0.0.7", now=NOW + timedelta(minutes=14))
    assert caught.value.status == 429
    assert ctx.scalar(select(func.count(SignInEvent.id))) == events
    # ... and from anywhere else she signs in; each phone counted only its own one.
    assert attempt(ctx, "0912000004", "3579", address="10.0.0.8").number == 4
    assert failures(ctx, "0912000001") == failures(ctx, "0912000002") == 1
    assert attempt(ctx, "0912000001", "3579", address="10.0.0.7", now=NOW + timedelta(minutes=15))


def test_a_stranger_at_one_address_cannot_lock_her_out(ctx):
    svc.create_member(ctx, details(phone="0912000003"), "3579", country_code="84")
    for _ in range(3):
        with pytest.raises(SignInRefused):
            attempt(ctx, "0912000003", "0000", address="203.0.113.9")
    for guess in range(20):  # the flood goes on: refused unchecked, not counted for her phone
        with pytest.raises(SignInRefused) as caught:
            attempt(ctx, "0912000003", f"{1000 + guess}", address="203.0.113.9")
        assert caught.value.status == 429
    assert failures(ctx, "0912000003") == 3
    member = attempt(ctx, "0912000003", "3579", address="10.0.0.2")  # her own phone
    assert member.number == 1
    assert failures(ctx, "0912000003") == 0


def test_each_further_lock_of_a_phone_lasts_longer_until_a_good_sign_in(ctx):
    svc.create_member(ctx, details(phone="0912000003"), "3579", country_code="84")
    now = NOW
    addresses = iter(f"10.0.1.{n}" for n in range(1, 100))  # a guess from many places

    def lock_it():
        for _ in range(POLICY.max_failures):
            with pytest.raises(SignInRefused) as caught:
                attempt(ctx, "0912000003", "0000", address=next(addresses), now=now)
        return caught.value.locked_until - now

    assert lock_it() == timedelta(minutes=15)
    now += timedelta(minutes=15)
    assert lock_it() == timedelta(minutes=30)
    now += timedelta(minutes=29)
    with pytest.raises(SignInRefused) as caught:  # still locked, even with her right PIN
        attempt(ctx, "0912000003", "3579", address=next(addresses), now=now)
    assert caught.value.status == 429
    now += timedelta(minutes=1)
    assert lock_it() == timedelta(minutes=60)
    now += timedelta(minutes=60)
    assert attempt(ctx, "0912000003", "3579", address=next(addresses), now=now).number == 1
    assert lock_it() == timedelta(minutes=15)  # her good sign-in started it over


def test_signing_out_ends_every_session_of_hers(ctx):
    member = svc.create_member(ctx, details(phone="0912000003"), "3579", country_code="84")
    before = member.get_id()
    svc.sign_out(ctx, member)
    assert member.get_id() != before
    assert member.session_version == int(before.split(":")[1]) + 1


def test_member_who_left_cannot_sign_in(ctx):
    svc.create_member(
        ctx, details(phone="0912000003", left_on=date(2026, 11, 19)), "3579", country_code="84"
    )
    with pytest.raises(SignInRefused) as caught:
        svc.sign_in_with_phone(
            ctx, "0912000003", "3579", now=NOW, today=TODAY, country_code="84", policy=POLICY
        )
    assert "left" in str(caught.value.message).lower() or "rời" in str(caught.value.message)
    # On her last day she still can.
    assert (
        svc.sign_in_with_phone(
            ctx,
            "0912000003",
            "3579",
            now=NOW,
            today=date(2026, 11, 19),
            country_code="84",
            policy=POLICY,
        ).number
        == 1
    )


def test_switch_locks_per_member(ctx):
    svc.create_member(ctx, details(phone=None), "3579", country_code="84")
    for _ in range(5):
        with pytest.raises(SignInRefused):
            svc.sign_in_by_switch(ctx, 1, "0000", now=NOW, today=TODAY, policy=POLICY)
    with pytest.raises(SignInRefused) as caught:
        svc.sign_in_by_switch(ctx, 1, "3579", now=NOW, today=TODAY, policy=POLICY)
    assert caught.value.locked_until is not None
    with pytest.raises(NotFound):
        svc.sign_in_by_switch(ctx, 99, "3579", now=NOW, today=TODAY, policy=POLICY)


def test_coordinator_reset_unlocks_and_ends_old_sessions(ctx):
    member = svc.create_member(ctx, details(phone="0912000003"), "3579", country_code="84")
    version = member.session_version
    for _ in range(5):
        with pytest.raises(SignInRefused):
            svc.sign_in_with_phone(
                ctx, "0912000003", "0000", now=NOW, today=TODAY, country_code="84", policy=POLICY
            )
    svc.set_pin(ctx, member, "8024")
    assert member.session_version == version + 1
    assert (
        svc.sign_in_with_phone(
            ctx, "0912000003", "8024", now=NOW, today=TODAY, country_code="84", policy=POLICY
        )
        is member
    )


def test_guessing_the_current_pin_locks_the_change(ctx):
    member = svc.create_member(ctx, details(), "3579", country_code="84")
    when = {"now": NOW, "today": TODAY, "policy": POLICY}
    for _ in range(POLICY.max_failures):
        with pytest.raises(InvalidInput):
            svc.change_own_pin(ctx, member, "0000", "8024", **when)
    with pytest.raises(InvalidInput) as caught:  # locked: even the right PIN is refused now
        svc.change_own_pin(ctx, member, "3579", "8024", **when)
    assert caught.value.field == "current_pin"
    later = {**when, "now": NOW + timedelta(minutes=POLICY.lock_minutes + 1)}
    svc.change_own_pin(ctx, member, "3579", "8024", **later)


def test_change_own_pin_needs_the_current_one(ctx):
    member = svc.create_member(ctx, details(), "3579", country_code="84")
    when = {"now": NOW, "today": TODAY, "policy": POLICY}
    with pytest.raises(InvalidInput) as caught:
        svc.change_own_pin(ctx, member, "0000", "8024", **when)
    assert caught.value.field == "current_pin"
    with pytest.raises(InvalidInput) as caught:
        svc.change_own_pin(ctx, member, "3579", "3579", **when)
    assert caught.value.field == "new_pin"
    svc.change_own_pin(ctx, member, "3579", "8024", **when)
    assert (
        svc.sign_in_with_phone(
            ctx, "0912000003", "8024", now=NOW, today=TODAY, country_code="84", policy=POLICY
        )
        is member
    )


def test_coordinator_cannot_demote_herself(ctx):
    boss = svc.create_member(ctx, details(role=Role.COORDINATOR), "3579", country_code="84")
    with pytest.raises(InvalidInput) as caught:
        svc.update_member(ctx, boss, details(role=Role.MEMBER), country_code="84", acting=boss)
    assert caught.value.field == "role"
    with pytest.raises(InvalidInput) as caught:
        svc.update_member(
            ctx, boss, details(role=Role.COORDINATOR, left_on=TODAY), country_code="84", acting=boss
        )
    assert caught.value.field == "left_on"


def test_tokens_are_stored_hashed_and_can_be_revoked(ctx):
    boss = svc.create_member(ctx, details(role=Role.COORDINATOR), "3579", country_code="84")
    token, secret = svc.create_token(ctx, boss, "till script", Role.COORDINATOR)
    assert secret.startswith("shop_") and len(secret) > 40
    assert secret not in token.token_hash
    assert svc.member_for_token(ctx, secret, now=NOW, today=TODAY) == (boss, Role.COORDINATOR)
    assert svc.member_for_token(ctx, secret + "x", now=NOW, today=TODAY) is None
    svc.revoke_token(ctx, token.id, now=NOW)
    assert svc.member_for_token(ctx, secret, now=NOW, today=TODAY) is None


def test_token_power_never_exceeds_its_member(ctx):
    boss = svc.create_member(ctx, details(role=Role.COORDINATOR), "3579", country_code="84")
    _token, secret = svc.create_token(ctx, boss, "reports", Role.COORDINATOR)
    boss.role = Role.MEMBER
    assert svc.member_for_token(ctx, secret, now=NOW, today=TODAY) == (boss, Role.MEMBER)
    boss.left_on = date(2026, 11, 1)
    assert svc.member_for_token(ctx, secret, now=NOW, today=TODAY) is None


def test_only_coordinators_create_tokens(ctx):
    plain = svc.create_member(ctx, details(), "3579", country_code="84")
    with pytest.raises(svc.Forbidden):
        svc.create_token(ctx, plain, "mine", Role.MEMBER)


@pytest.mark.sqlite_only
def test_sqlite_write_transactions_do_not_interleave(app, db_kind):
    """Two read-then-write transactions on SQLite: the second waits and sees the first.

    With pysqlite's legacy mode both would read the same number and one write would be lost
    (or fail with "database is locked"); BEGIN IMMEDIATE serialises them.
    """
    if db_kind != "sqlite":
        pytest.skip("SQLite's locking; PostgreSQL relies on row locks and constraints")
    with app.app_context():
        svc.create_member(db.session, details(phone="0912000003"), "3579", country_code="84")
        db.session.commit()
    read_first = threading.Event()
    errors = []

    def add_one(name, wait_for=None, signal=None):
        try:
            with app.app_context():
                session = db.session
                count = session.scalar(select(Member.session_version).where(Member.number == 1))
                if signal:
                    signal.set()
                if wait_for:
                    wait_for.wait(2)
                member = session.scalar(select(Member).where(Member.number == 1))
                member.session_version = count + 1
                session.commit()
        except Exception as error:  # pragma: no cover - the failure being tested for
            errors.append(error)

    first = threading.Thread(
        target=add_one,
        args=("first",),
        kwargs={"signal": read_first, "wait_for": threading.Event()},
    )
    first.start()
    read_first.wait(2)
    second = threading.Thread(target=add_one, args=("second",))
    second.start()
    first.join()
    second.join()
    assert errors == []
    with app.app_context():
        version = db.session.scalar(select(Member.session_version).where(Member.number == 1))
    assert version == 3


def test_members_added_at_the_same_moment_get_different_numbers(app):
    """Several coordinators adding members at once: numbers stay unique and gap-free."""
    errors, barrier = [], threading.Barrier(4)

    def add(index):
        try:
            with app.app_context():
                barrier.wait(5)
                svc.create_member(
                    db.session,
                    details(name=f"M{index}", phone=f"091200010{index}"),
                    "3579",
                    country_code="84",
                )
                db.session.commit()
        except Exception as error:  # pragma: no cover - the failure being tested for
            errors.append(error)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        numbers = sorted(db.session.scalars(select(Member.number)))
    assert numbers == [1, 2, 3, 4]


def test_a_tokens_last_use_is_written_down_to_the_minute(ctx):
    boss = svc.create_member(ctx, details(role=Role.COORDINATOR), "3579", country_code="84")
    token, secret = svc.create_token(ctx, boss, "till", Role.COORDINATOR)
    assert token.last_used_at is None
    svc.member_for_token(ctx, secret, now=NOW, today=TODAY)
    assert token.last_used_at == NOW
    svc.member_for_token(ctx, secret, now=NOW + timedelta(seconds=59), today=TODAY)
    assert token.last_used_at == NOW  # a device's next sale writes nothing more
    svc.member_for_token(ctx, secret, now=NOW + timedelta(minutes=1), today=TODAY)
    assert token.last_used_at == NOW + timedelta(minutes=1)
