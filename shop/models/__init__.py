"""The shop's tables, one module per aggregate. Importing this package registers them all."""

from shop.models.audit import AuditEvent
from shop.models.bank import BankFeed, BankSettings, BankTransaction
from shop.models.expense import Expense, ExpenseCategory, ExpenseRevision
from shop.models.member import ApiToken, Member, PinLock, Role, SignInEvent
from shop.models.month import ClosedMonth, ClosedMonthMember, Payout, PayoutCorrection
from shop.models.printing import (
    ConnectionKind,
    JobKind,
    JobStatus,
    PrintAttempt,
    PrinterSettings,
    PrintJob,
    PrintMode,
)
from shop.models.rail import next_rail_version  # stamps every change of an item row
from shop.models.sale import (
    CartDiscount,
    CartLine,
    PaymentMethod,
    Refund,
    ReviewKind,
    Sale,
    SaleLine,
    SaleReview,
    Shift,
    Void,
)
from shop.models.sequence import Sequence, next_in_sequence, raise_sequence
from shop.models.shop import ShopProfile
from shop.models.stock import (
    Category,
    Condition,
    Disposal,
    DisposalKind,
    Donor,
    Intake,
    IntakeKind,
    Item,
    ItemStatus,
    PolicyRow,
    PriceChange,
    PriceSuggestion,
)

__all__ = [
    "next_rail_version",
    "AuditEvent",
    "BankFeed",
    "BankSettings",
    "BankTransaction",
    "CartDiscount",
    "CartLine",
    "PaymentMethod",
    "Refund",
    "ReviewKind",
    "Sale",
    "SaleReview",
    "SaleLine",
    "Shift",
    "Void",
    "ApiToken",
    "Category",
    "ClosedMonth",
    "ClosedMonthMember",
    "Condition",
    "ConnectionKind",
    "Disposal",
    "DisposalKind",
    "Donor",
    "Expense",
    "ExpenseCategory",
    "ExpenseRevision",
    "Intake",
    "IntakeKind",
    "Item",
    "ItemStatus",
    "JobKind",
    "JobStatus",
    "Member",
    "Payout",
    "PayoutCorrection",
    "PinLock",
    "PolicyRow",
    "PriceChange",
    "PriceSuggestion",
    "PrintAttempt",
    "PrinterSettings",
    "PrintJob",
    "PrintMode",
    "Role",
    "Sequence",
    "ShopProfile",
    "SignInEvent",
    "next_in_sequence",
    "raise_sequence",
]
