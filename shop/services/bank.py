"""Transfers the bank saw: the payment code of a sale, the inbox every transaction from a
bank feed goes into, matching it to the sale its code names, and the review list.

One entry for every feed (webhook, poll, journal): :func:`receive` stores the transaction
as it came, unique on (provider, provider id), then matches it in the same transaction,
so a second delivery changes nothing and a transaction is never stored unmatched. What a
transaction does is :func:`shop.domain.bank.decide`'s: only a valid code of a sale waiting
for exactly that amount confirms it. Services flush and never commit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload

from shop.database import settings_row
from shop.domain import bank as rules
from shop.domain.text import tidy
from shop.models import (
    BankFeed,
    BankSettings,
    BankTransaction,
    Member,
    PaymentMethod,
    Payout,
    Refund,
    Sale,
    SaleStatus,
)
from shop.services import audit
from shop.services.errors import Forbidden, InvalidInput, NotFound
from shop.services.idempotency import insert_once
from shop.services.members import shop_profile

PROVIDERS = ("sepay", "casso")
#: The environment's names for the keys; set there, they win over the settings page.
ENVIRONMENT = {
    "sepay_webhook_key": "SHOP_SEPAY_WEBHOOK_KEY",
    "sepay_api_token": "SHOP_SEPAY_API_TOKEN",
    "casso_api_key": "SHOP_CASSO_API_KEY",
    "casso_checksum_key": "SHOP_CASSO_CHECKSUM_KEY",
}
#: How far back an offline sale's reference is looked for (its code carries no number).
REFERENCE_WINDOW = timedelta(days=62)
#: How far apart a transfer out and the refund or payout it pays may be.
OUTGOING_WINDOW = timedelta(days=7)
#: Waiting sales of the same amount shown as suggestions on a review, at most.
SUGGESTIONS = 5


# -- settings -------------------------------------------------------------------------


#: ``session.info`` key: the transaction recorded a sale with a transfer part, so the bank
#: feed's poller (:mod:`shop.bank.poller`) is woken after its commit. A flush of such a sale
#: sets it, and so does the counter, which inserts its sales as one statement.
FEED_WAKE = "bank_poll_wake"


def bank_settings(session: Session) -> BankSettings:
    """The shop's bank-feed settings; the defaults (no feed, prefix ``NM``, 3 days) while
    a coordinator has saved none. The row is only added when she saves."""
    return settings_row(session, BankSettings) or BankSettings(
        id=1, provider="", base_url="", code_prefix=rules.DEFAULT_PREFIX, check_days=3,
        sepay_webhook_key="", sepay_api_token="", casso_api_key="", casso_checksum_key="",
    )  # fmt: skip


@dataclass(frozen=True)
class Keys:
    """The keys in force: the environment's where set, else the settings'."""

    sepay_webhook_key: str = ""
    sepay_api_token: str = ""
    casso_api_key: str = ""
    casso_checksum_key: str = ""
    #: Which keys come from the environment (the page says so and cannot change them).
    from_environment: frozenset[str] = frozenset()


def keys(session: Session, environ: Mapping[str, str] | None = None) -> Keys:
    environ = os.environ if environ is None else environ
    saved = bank_settings(session)
    values, from_env = {}, set()
    for name, variable in ENVIRONMENT.items():
        value = (environ.get(variable) or "").strip()
        if value:
            from_env.add(name)
        values[name] = value or getattr(saved, name) or ""
    return Keys(**values, from_environment=frozenset(from_env))


def save_settings(
    session: Session,
    *,
    by: Member,
    at: datetime,
    provider: str,
    base_url: str = "",
    code_prefix: str = rules.DEFAULT_PREFIX,
    check_days: int = 3,
    new_keys: Mapping[str, str] | None = None,
) -> BankSettings:
    """A coordinator sets the feed. ``new_keys``: only the keys she typed (a key left
    blank stays as it was; the page never shows one again). Audited without the keys."""
    if not by.is_coordinator:
        raise Forbidden("bank.settings_coordinators_only", "provider")
    provider = (provider or "").strip().lower()
    if provider not in ("", *PROVIDERS):
        raise InvalidInput("bank.provider_invalid", "provider")
    base_url = (base_url or "").strip()
    if base_url and not base_url.startswith(("https://", "http://")):
        raise InvalidInput("bank.address_not_https", "base_url")
    code_prefix = (code_prefix or "").strip().upper()
    if not rules.valid_prefix(code_prefix):
        raise InvalidInput("bank.prefix_invalid", "code_prefix")
    if isinstance(check_days, bool) or not isinstance(check_days, int) or not 1 <= check_days <= 60:
        raise InvalidInput("bank.check_days_out_of_range", "check_days")
    settings = bank_settings(session)
    before = {
        "provider": settings.provider, "base_url": settings.base_url,
        "code_prefix": settings.code_prefix, "check_days": settings.check_days,
    }  # fmt: skip
    settings.provider = provider
    settings.base_url = base_url[:200]
    settings.code_prefix = code_prefix
    settings.check_days = check_days
    changed_keys = []
    for name, value in (new_keys or {}).items():
        if name not in ENVIRONMENT:
            raise ValueError(f"unknown key {name!r}")
        value = (value or "").strip()
        if value:
            if len(value) > 200:
                raise InvalidInput("bank.key_too_long", name)
            setattr(settings, name, value)
            changed_keys.append(name)
    if provider and settings.feed_since is None:
        settings.feed_since = at
    session.add(settings)
    after = {
        "provider": provider, "base_url": settings.base_url,
        "code_prefix": code_prefix, "check_days": check_days,
    }  # fmt: skip
    # What changed, as the audit log shows a changed setting (old → new); the keys by name.
    changed = {
        name: {"old": before[name], "new": value}
        for name, value in after.items()
        if before[name] != value
    }
    audit.record(
        session, "bank_settings", by=by, at=at, subject="bank",
        **changed, keys_changed=sorted(changed_keys),
    )  # fmt: skip
    session.flush()
    return settings


# -- the code a sale's transfer carries ------------------------------------------------


def code_prefix(session: Session) -> str:
    return bank_settings(session).code_prefix or rules.DEFAULT_PREFIX


def sale_purpose(session: Session, sale: Sale) -> str:
    """The purpose of ``sale``'s transfer: its code, then the shop's name if room is left."""
    profile = shop_profile(session)
    return rules.purpose(
        rules.sale_code(sale.number, code_prefix(session)), profile.name if profile else ""
    )


def offline_purpose_parts(session: Session) -> dict:
    """What the counter page needs to write an offline sale's code itself: the words
    before the reference's ten digits and its Damm digit, and the words after."""
    prefix = code_prefix(session)
    profile = shop_profile(session)
    sample = rules.reference_code("00000000", prefix)
    whole = rules.purpose(sample, profile.name if profile else "")
    return {
        "code_before": rules.purpose_before_reference(prefix),
        "code_after": whole[len(sample) :],
        "reference_digits": rules.REFERENCE_DIGITS,
    }


# -- the inbox -------------------------------------------------------------------------


def receive(
    session: Session,
    incoming: rules.BankTransaction,
    *,
    via: str,
    signature_ok: bool,
    at: datetime,
) -> tuple[BankTransaction, bool]:
    """Store one transaction as the feed reported it and match it. Returns the row and
    whether it is new: the same (provider, provider id) delivered again returns the row
    stored first and changes nothing.

    The match is worked out first (the sales it names locked on PostgreSQL), then the row
    is inserted with it in one statement that inserts nothing when another transaction
    stored the same (provider, provider id) at this very moment (it then waits for that one
    and returns its row); only then is the sale confirmed and the match audited."""
    provider_id = str(incoming.provider_id)[:64]
    existing = _stored(session, incoming.provider, provider_id)
    if existing is not None:
        return existing, False
    row = BankTransaction(
        provider=incoming.provider,
        provider_id=provider_id,
        reference=(incoming.reference or "")[:64],
        account=(incoming.account or "")[:32],
        direction=incoming.direction,
        amount_dong=incoming.amount_dong,
        content=(incoming.content or "")[:500],
        at=incoming.at,
        received_at=at,
        via=via,
        signature_ok=signature_ok,
        raw=incoming.raw or "",
        outcome=rules.Outcome.REVIEW,
        reason=None,
        suggestions=[],
        sale_id=None,
        pays_sale=False,
        refund_id=None,
        payout_id=None,
        resolved_at=None,
        resolved_by_id=None,
        resolution="",
    )
    if incoming.direction == rules.Direction.OUT:
        then = _match_outgoing(session, row)
    else:
        then = _match_incoming(session, row)
    values = {column.key: getattr(row, column.key) for column in _INSERTED}
    stored = insert_once(
        session, BankTransaction, values,
        on=(BankTransaction.provider, BankTransaction.provider_id),
    )  # fmt: skip
    if stored is None:
        return _stored(session, incoming.provider, provider_id), False
    if then is not None:
        then(at)
    session.flush()
    return stored, True


#: The columns :func:`receive` inserts: all but the id.
_INSERTED = tuple(c for c in BankTransaction.__table__.columns if c.key != "id")


def _stored(session: Session, provider: str, provider_id: str) -> BankTransaction | None:
    return session.scalar(_STORED, {"provider": provider, "provider_id": provider_id})


_STORED = select(BankTransaction).where(
    BankTransaction.provider == bindparam("provider"),
    BankTransaction.provider_id == bindparam("provider_id"),
)


def sale_state(sale: Sale) -> rules.SaleState:
    if sale.status is SaleStatus.VOIDED:
        return rules.SaleState.VOIDED
    if sale.transfer_dong <= 0:
        return rules.SaleState.NO_TRANSFER
    if sale.bank_payment is not None:
        return rules.SaleState.BANK
    if sale.confirmed_at is not None:
        return rules.SaleState.HAND
    return rules.SaleState.WAITING


def _locked(session: Session, query):
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Sale)
    return query


def _sales_of(session: Session, codes: list[rules.Code], at: datetime) -> list[Sale | None | str]:
    """The sale each code names: a :class:`Sale`, ``None`` (no such sale) or ``"ambiguous"``
    (an offline reference two sales share)."""
    found: list[Sale | None | str] = []
    for code in codes:
        if code.number is not None:
            found.append(
                session.scalar(_locked(session, select(Sale).where(Sale.number == code.number)))
            )
            continue
        candidates = [
            sale
            for sale in session.scalars(
                _locked(
                    session,
                    select(Sale).where(Sale.transfer_dong > 0, Sale.at >= at - REFERENCE_WINDOW),
                )
            )
            if rules.reference_digits(rules.reference_of(sale.client_id)) == code.reference_digits
        ]
        found.append(
            candidates[0] if len(candidates) == 1 else ("ambiguous" if candidates else None)
        )
    return found


def _view(sale: Sale | None | str) -> rules.SaleView | None:
    if sale is None:
        return None
    if sale == "ambiguous":
        return rules.AMBIGUOUS_SALE
    return rules.SaleView(sale.number, sale.transfer_dong, sale_state(sale))


def _match_incoming(session: Session, row: BankTransaction) -> Callable[[datetime], None] | None:
    """Work out what money in does (``row``'s outcome, reason, sale and suggestions); returns
    what is left to do once the row is stored: the sale confirmed and the match audited."""
    shop = shop_profile(session)
    own = rules.same_account(row.account, shop.bank_account if shop else "") and bool(
        shop and shop.bank_account
    )
    codes = rules.codes_in(row.content, code_prefix(session))
    sales = _sales_of(session, codes, row.at) if own else []
    decision = rules.decide(row.amount_dong, [_view(s) for s in sales], own_account=own)
    named = sales[0] if len(sales) == 1 and isinstance(sales[0], Sale) else None
    row.outcome = decision.outcome
    row.reason = decision.reason
    row.sale_id = named.id if named is not None else None
    if decision.outcome not in (rules.Outcome.CONFIRMED, rules.Outcome.VERIFIED):
        row.suggestions = waiting_of_amount(session, row.amount_dong, exclude=named)
        return None
    row.pays_sale = True

    def confirm(at: datetime) -> None:
        if decision.outcome == rules.Outcome.CONFIRMED:
            named.confirmed_at = at
            named.confirmed_by_id = None
        session.flush()
        session.expire(named, ["bank_payment"])
        audit.record(
            session,
            "bank_confirmed" if decision.outcome == rules.Outcome.CONFIRMED else "bank_verified",
            by=None, at=at, subject=f"sale {named.number}",
            amount_dong=row.amount_dong, provider=row.provider, provider_id=row.provider_id,
            reference=row.reference,
        )  # fmt: skip

    return confirm


def waiting_of_amount(
    session: Session, amount_dong: int, *, exclude: Sale | None = None
) -> list[int]:
    """Numbers of sales waiting for a transfer of exactly ``amount_dong``: suggestions for a
    coordinator, never a match."""
    exclude_id = exclude.id if exclude is not None else None
    return list(session.scalars(_WAITING_OF_AMOUNT, {"amount": amount_dong, "not": exclude_id}))


# Built once: every bank transaction not matched asks it (building it cost more than its run).
_WAITING_OF_AMOUNT = (
    Sale.awaiting(select(Sale.number))
    .where(Sale.transfer_dong == bindparam("amount"))
    .where(or_(bindparam("not", type_=Integer).is_(None), Sale.id != bindparam("not")))
    .order_by(Sale.number.desc())
    .limit(SUGGESTIONS)
)


def _match_outgoing(session: Session, row: BankTransaction) -> Callable[[datetime], None] | None:
    """Money out: the transfer refund or payout by transfer of that amount nearest in time
    that no other transaction paid (audited, as every automatic match is, once the row is
    stored: what is returned does it); else the review list."""
    low, high = row.at - OUTGOING_WINDOW, row.at + OUTGOING_WINDOW
    taken_refunds = select(BankTransaction.refund_id).where(BankTransaction.refund_id.is_not(None))
    refunds = session.scalars(
        select(Refund).where(
            Refund.method == PaymentMethod.TRANSFER,
            Refund.amount_dong == row.amount_dong,
            Refund.at.between(low, high),
            Refund.id.not_in(taken_refunds),
        )
    ).all()
    taken_payouts = select(BankTransaction.payout_id).where(BankTransaction.payout_id.is_not(None))
    payouts = session.scalars(
        select(Payout).where(
            Payout.method == PaymentMethod.TRANSFER,
            Payout.amount_dong == row.amount_dong,
            Payout.created_at.between(low, high),
            Payout.id.not_in(taken_payouts),
        )
    ).all()
    candidates = [(abs((r.at - row.at).total_seconds()), "refund", r) for r in refunds] + [
        (abs((p.created_at - row.at).total_seconds()), "payout", p) for p in payouts
    ]
    if not candidates:
        row.outcome, row.reason = rules.Outcome.REVIEW, rules.Reason.OUTGOING
        return None
    _, kind, paid = min(candidates, key=lambda c: (c[0], c[1], c[2].id))
    row.outcome, row.reason = rules.Outcome.OUTGOING, None
    seen = {
        "amount_dong": row.amount_dong, "provider": row.provider,
        "provider_id": row.provider_id, "reference": row.reference,
    }  # fmt: skip
    if kind == "refund":
        row.refund_id = paid.id
        subject, more = f"sale {paid.line.sale.number}", {}
    else:
        row.payout_id = paid.id
        subject = f"member {paid.member.number}"
        more = {"payout": paid.id, "month": paid.month}

    def audited(at: datetime) -> None:
        audit.record(session, "bank_outgoing", by=None, at=at, subject=subject, **seen, **more)

    return audited


# -- the review list -------------------------------------------------------------------


def to_review(
    session: Session, *, include_resolved: bool = False, limit: int = 200
) -> list[BankTransaction]:
    """The transactions on the coordinators' review list, newest first (with the decided
    ones too when ``include_resolved``)."""
    query = select(BankTransaction).where(BankTransaction.outcome == rules.Outcome.REVIEW)
    if not include_resolved:
        query = query.where(BankTransaction.resolved_at.is_(None))
    query = query.options(joinedload(BankTransaction.resolved_by))
    return list(session.scalars(query.order_by(BankTransaction.at.desc()).limit(limit)))


def review_count(session: Session) -> int:
    return session.scalar(
        select(func.count(BankTransaction.id)).where(
            BankTransaction.outcome == rules.Outcome.REVIEW, BankTransaction.resolved_at.is_(None)
        )
    )


def get_transaction(session: Session, transaction_id: int) -> BankTransaction:
    row = session.get(BankTransaction, transaction_id)
    if row is None:
        raise NotFound("bank.transaction_not_found", "transaction")
    return row


def resolve(
    session: Session,
    row: BankTransaction,
    *,
    by: Member,
    at: datetime,
    sale_number: int | None = None,
    note: str = "",
) -> BankTransaction:
    """A coordinator decides a transaction on review: it pays sale ``sale_number`` (which
    must wait for exactly that amount, or have been confirmed by hand: it is then
    verified), or, with no sale, it is set aside with her ``note`` (a deposit, a gift, a
    customer to call back). Either way it is audited; a decision is never made twice."""
    if not by.is_coordinator:
        raise Forbidden("bank.review_coordinators_only", "sale_number")
    note = tidy(note, 300)
    if row.outcome != rules.Outcome.REVIEW:
        raise InvalidInput("bank.not_for_review", "sale_number")
    if row.resolved_at is not None:
        raise InvalidInput("bank.decided_already", "sale_number")
    if row.direction != rules.Direction.IN and sale_number is not None:
        raise InvalidInput("bank.outgoing_pays_no_sale", "sale_number")
    sale = None
    if sale_number is not None:
        sale = session.scalar(_locked(session, select(Sale).where(Sale.number == sale_number)))
        if sale is None:
            raise InvalidInput("bank.sale_not_found", "sale_number", number=sale_number)
        state = sale_state(sale)
        if state == rules.SaleState.VOIDED:
            raise InvalidInput("bank.sale_voided", "sale_number")
        if state == rules.SaleState.NO_TRANSFER:
            raise InvalidInput("bank.sale_not_by_transfer", "sale_number")
        if state == rules.SaleState.BANK:
            raise InvalidInput("bank.sale_paid_already", "sale_number")
        if sale.transfer_dong != row.amount_dong:
            raise InvalidInput("bank.amount_differs", "sale_number")
        row.sale_id = sale.id
        row.pays_sale = True
        if state == rules.SaleState.WAITING:
            sale.confirmed_at = at
            sale.confirmed_by_id = None
    elif not note:
        raise InvalidInput("bank.note_missing", "note")
    row.resolved_at = at
    row.resolved_by_id = by.id
    row.resolution = note
    session.flush()
    if sale is not None:
        session.expire(sale, ["bank_payment"])
    audit.record(
        session, "bank_review", by=by, at=at, subject=f"bank {row.provider} {row.provider_id}",
        reason=row.reason, amount_dong=row.amount_dong,
        sale=sale.number if sale is not None else None, note=note,
    )  # fmt: skip
    return row


# -- how each transfer stands ----------------------------------------------------------


def check_of(
    session: Session, sale: Sale, *, now: datetime, settings: BankSettings | None = None
) -> rules.Check:
    """Where ``sale``'s transfer stands (``settings``: the bank settings, when read already);
    a sale with no transfer does not look for its bank payment."""
    settings = settings or bank_settings(session)
    return rules.check(
        transfer_dong=sale.transfer_dong,
        confirmed_at=sale.confirmed_at,
        voided=sale.status is SaleStatus.VOIDED,
        by_bank=sale.transfer_dong > 0 and sale.bank_payment is not None,
        by_hand=sale.confirmed_by_id is not None,
        feed_since=settings.feed_since if settings.provider else None,
        now=now,
        days=settings.check_days,
    )


def not_seen(
    session: Session, *, now: datetime, start: datetime | None = None, end: datetime | None = None
) -> list[Sale]:
    """Transfers confirmed by hand that the bank has not shown after the set days (sales
    in [start, end) when given), oldest first."""
    settings = bank_settings(session)
    if not settings.provider or settings.feed_since is None:
        return []
    limit = now - timedelta(days=settings.check_days)
    paid = select(BankTransaction.sale_id).where(BankTransaction.pays_sale)
    query = select(Sale).where(
        Sale.transfer_dong > 0,
        Sale.confirmed_by_id.is_not(None),
        Sale.confirmed_at >= settings.feed_since,
        Sale.confirmed_at < limit,
        ~Sale.void.has(),
        Sale.id.not_in(paid),
    )
    if start is not None:
        query = query.where(Sale.at >= start)
    if end is not None:
        query = query.where(Sale.at < end)
    return list(session.scalars(query.order_by(Sale.at)))


def waiting_transfers(session: Session) -> int:
    """How many sales wait for their transfer (the poller asks the bank more often then)."""
    return session.scalar(Sale.awaiting(select(func.count(Sale.id))))


def feed_state(session: Session, provider: str) -> BankFeed:
    """The poller's row for ``provider``, added (and flushed) the first time."""
    feed = session.get(BankFeed, provider)
    if feed is None:
        feed = BankFeed(provider=provider, cursor="", last_error="")
        session.add(feed)
        session.flush()
    return feed


# -- what the pages show -----------------------------------------------------------------

#: The inbox's views on the coordinators' page: still to decide, decided, everything.
SHOWS = ("review", "decided", "all")


def transactions(
    session: Session, *, show: str = "review", limit: int = 200
) -> list[BankTransaction]:
    """The inbox, newest first: the transactions still on the review list (``review``),
    those a coordinator decided (``decided``), or every one (``all``: confirmed, verified
    and outgoing too)."""
    if show not in SHOWS:
        raise ValueError(f"unknown show {show!r}")
    query = select(BankTransaction).options(joinedload(BankTransaction.resolved_by))
    if show == "review":
        query = query.where(
            BankTransaction.outcome == rules.Outcome.REVIEW, BankTransaction.resolved_at.is_(None)
        )
    elif show == "decided":
        query = query.where(BankTransaction.resolved_at.is_not(None))
    order = (
        (BankTransaction.resolved_at.desc(), BankTransaction.id.desc())
        if show == "decided"
        else (BankTransaction.at.desc(), BankTransaction.id.desc())
    )
    return list(session.scalars(query.order_by(*order).limit(limit)))


def sale_numbers(session: Session, rows: list[BankTransaction]) -> dict[int, int]:
    """The number of the sale each transaction names or pays, by sale id."""
    ids = {row.sale_id for row in rows if row.sale_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Sale.id, Sale.number).where(Sale.id.in_(ids))).all())


@dataclass(frozen=True)
class Transfer:
    """Who or what confirmed a sale's transfer and how it stands against the bank, as the
    sale page and the API say it. ``confirmed_by``: ``"bank"`` (a bank transaction
    confirmed it, by itself or chosen by a coordinator on the review list), ``"member"``
    (confirmed by hand) or ``None`` (not confirmed, or no transfer)."""

    check: rules.Check
    confirmed_by: str | None = None
    confirmed_by_name: str | None = None
    confirmed_at: datetime | None = None
    #: The bank transaction that is its money, once the bank showed it.
    payment: BankTransaction | None = None
    #: Days the bank has to show a transfer confirmed by hand (the shop's setting).
    check_days: int = 3

    def as_json(self) -> dict:
        return {
            "check": self.check.value,
            "confirmed_by": self.confirmed_by,
            "confirmed_by_name": self.confirmed_by_name,
            "confirmed_at": self.confirmed_at.isoformat() if self.confirmed_at else None,
        }


def transfer_of(session: Session, sale: Sale, *, now: datetime) -> Transfer:
    """How ``sale``'s transfer stands at ``now`` (see :class:`Transfer`)."""
    settings = bank_settings(session)
    state = check_of(session, sale, now=now, settings=settings)
    days = settings.check_days
    if sale.transfer_dong <= 0 or sale.confirmed_at is None:
        return Transfer(state, check_days=days)
    payment = sale.bank_payment
    if sale.confirmed_by_id is None and payment is not None:
        return Transfer(state, "bank", None, sale.confirmed_at, payment, days)
    name = sale.confirmed_by.name if sale.confirmed_by is not None else None
    return Transfer(state, "member", name, sale.confirmed_at, payment, days)


# -- a transaction carried over from a journal -----------------------------------------


def restore(
    session: Session,
    incoming: rules.BankTransaction,
    *,
    via: str,
    signature_ok: bool,
    received_at: datetime,
    outcome: rules.Outcome,
    reason: rules.Reason | None = None,
    suggestions: list[int] | None = None,
    sale: Sale | None = None,
    pays_sale: bool = False,
    refund: Refund | None = None,
    payout: Payout | None = None,
    resolved_at: datetime | None = None,
    resolved_by: Member | None = None,
    resolution: str = "",
) -> BankTransaction:
    """Store a transaction of a moved shop's inbox as it was there, with what it did then:
    the journal's record of what happened, not matched again (the sales it could name now
    stand otherwise than when it came). The row is written whole in one insert, as the
    inbox keeps what it received. The sale it pays keeps the confirmation the journal gives
    it; nothing else changes and nothing is audited. Raises :class:`ValueError` for a
    provider id stored already."""
    provider_id = str(incoming.provider_id)
    if _stored(session, incoming.provider, provider_id) is not None:
        raise ValueError(f"{incoming.provider} transaction {provider_id} is stored already")
    row = BankTransaction(
        provider=incoming.provider,
        provider_id=provider_id,
        reference=incoming.reference or "",
        account=incoming.account or "",
        direction=incoming.direction,
        amount_dong=incoming.amount_dong,
        content=incoming.content or "",
        at=incoming.at,
        received_at=received_at,
        via=via,
        signature_ok=signature_ok,
        raw=incoming.raw or "",
        outcome=outcome,
        reason=reason,
        suggestions=list(suggestions or []),
        sale_id=sale.id if sale is not None else None,
        pays_sale=pays_sale,
        refund_id=refund.id if refund is not None else None,
        payout_id=payout.id if payout is not None else None,
        resolved_at=resolved_at,
        resolved_by_id=resolved_by.id if resolved_by is not None else None,
        resolution=resolution or "",
    )
    session.add(row)
    session.flush()
    if sale is not None and pays_sale:
        session.expire(sale, ["bank_payment"])
    return row
