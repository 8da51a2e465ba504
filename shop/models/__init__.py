"""The shop's tables, one module per aggregate. Importing this package registers them all."""

from shop.models.member import ApiToken, Member, PinLock, Role, SignInEvent
from shop.models.shop import ShopProfile

__all__ = ["ApiToken", "Member", "PinLock", "Role", "ShopProfile", "SignInEvent"]
