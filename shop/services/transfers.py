"""Where transfers go: the shop's bank account and the VietQR payload of a waiting sale."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shop.domain import vietqr
from shop.domain.bank import REFERENCE_HEX
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


def transfer_payload(session: Session, sale) -> tuple[str, str] | None:
    """(VietQR payload, message) for the transfer part of ``sale`` while it is awaited: the
    message starts with the sale's payment code (:func:`shop.services.bank.sale_purpose`),
    which the bank feed reads back to confirm the sale."""
    from shop.services.bank import sale_purpose

    if not sale.awaiting_transfer:
        return None
    bank = shop_bank(session)
    if bank is None:
        return None
    purpose = sale_purpose(session, sale)
    return vietqr.payload(bank, sale.transfer_dong, purpose), purpose


def offline_transfer(session: Session) -> dict | None:
    """What the counter page needs to make a transfer's VietQR code with no link: the
    payload's head for the shop's account, the words of the message around the sale's
    reference code (:func:`shop.services.bank.offline_purpose_parts`: the page writes the
    ten digits of its reference and their Damm digit between them) and the account's
    holder to show; ``None`` while the shop has no account."""
    from shop.services.bank import offline_purpose_parts

    bank = shop_bank(session)
    if bank is None:
        return None
    return {
        "head": vietqr.head(bank),
        **offline_purpose_parts(session),
        "reference_length": REFERENCE_HEX,
        "account_name": bank.name,
        "account": bank.account,
    }
