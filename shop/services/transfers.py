"""Where transfers go: the shop's bank account and the VietQR payload of a waiting sale."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shop.domain import vietqr
from shop.services.members import shop_profile


def shop_bank(session: Session) -> vietqr.BankAccount | None:
    """The shop's account for transfers, or ``None`` while a coordinator has not set it."""
    profile = shop_profile(session)
    if not profile or not profile.bank_bin or not profile.bank_account:
        return None
    try:
        return vietqr.BankAccount(
            profile.bank_bin, profile.bank_account, profile.bank_account_name or ""
        )
    except vietqr.VietQRError:
        return None


def purpose_prefix(shop_name: str) -> str:
    """A short ASCII word from the shop's name for the transfer's message ("NEWME")."""
    words = vietqr.ascii_purpose(shop_name).split()
    return "".join(words[:2])[:8].upper()


def transfer_payload(session: Session, sale) -> tuple[str, str] | None:
    """(VietQR payload, message) for the transfer part of ``sale`` while it is awaited."""
    if not sale.awaiting_transfer:
        return None
    bank = shop_bank(session)
    if bank is None:
        return None
    profile = shop_profile(session)
    purpose = vietqr.sale_purpose(sale.number, purpose_prefix(profile.name if profile else ""))
    return vietqr.payload(bank, sale.transfer_dong, purpose), purpose


def offline_transfer(session: Session) -> dict | None:
    """What the counter page needs to make a transfer's VietQR code with no link: the
    payload's head for the shop's account, the purpose's words before the sale's reference
    (:data:`~shop.domain.vietqr.REFERENCE_LENGTH` characters of its client id) and the
    account's holder to show; ``None`` while the shop has no account."""
    bank = shop_bank(session)
    if bank is None:
        return None
    profile = shop_profile(session)
    prefix = purpose_prefix(profile.name if profile else "")
    return {
        "head": vietqr.head(bank),
        "purpose_before": vietqr.purpose_before(vietqr.REFERENCE_LENGTH, prefix),
        "reference_length": vietqr.REFERENCE_LENGTH,
        "account_name": bank.name,
        "account": bank.account,
    }
