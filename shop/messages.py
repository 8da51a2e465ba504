"""Translated messages for the domain's refusal codes, shared by forms, services and the API."""

from flask_babel import lazy_gettext as _l

MONEY = {
    "empty": _l("Enter an amount."),
    "invalid": _l("Write the amount as digits, for example 45000, 45.000 or 45k."),
    "negative": _l("The amount cannot be negative."),
    "fraction": _l("The amount must be whole đồng."),
    "too_large": _l("The amount is too large."),
}

PHONE = {
    "empty": _l("Enter a phone number."),
    "invalid": _l("This is not a phone number: use 8 to 15 digits, for example 0912 345 678."),
}

PIN = {
    "empty": _l("Enter a PIN."),
    "digits": _l("The PIN must be digits only."),
    "length": _l("The PIN must have 4 to 8 digits."),
    "weak": _l("This PIN is too easy to guess: avoid 1111 or 1234."),
}

#: Why a print job did not come out (:class:`shop.printing.escpos_out.PrinterError` reasons,
#: and the queue's own).
PRINT_REASONS = {
    "refused": _l("The printer refused the job: check the port, or whether it is busy."),
    "timeout": _l("The printer did not answer: is it on, with paper, and its cover shut?"),
    "unreachable": _l("The printer cannot be found: is it plugged in and switched on?"),
    "broken": _l("The connection to the printer broke while printing."),
    "render": _l("This could not be printed with these printer settings."),
    "settings": _l("No printer is set up."),
    "unsafe": _l(
        "This device or file may not be used as a printer: choose the printer again in its "
        "settings."
    ),
}

#: Why a printer's device or file was refused (:class:`shop.printing.file_printer.UnsafePath`).
PRINTER_PATHS = {
    "dotdot": _l("Write the path without “..”."),
    "symlink": _l("This is a shortcut to another file: write the printer or the file itself."),
    "protected": _l(
        "This is one of the shop's own files (its data or its key): writing to it would break "
        "the shop."
    ),
    "block_device": _l("This is a disk, not a printer: printing to it would wipe its data."),
    "not_printer": _l(
        "This is not a printer. A printer is /dev/usb/lp0, /dev/lp0 or a serial port such as "
        "/dev/ttyUSB0."
    ),
    "not_serial": _l(
        "This is not a serial port: choose one such as /dev/ttyUSB0, /dev/ttyACM0 or /dev/ttyS0."
    ),
    "outside": _l(
        "Only a printer such as /dev/usb/lp0, or a file in the printer-out folder such as "
        "printer-out/receipts.bin."
    ),
    "not_file": _l(
        "This is not an ordinary file: choose a new file name in the printer-out folder."
    ),
    "linked": _l(
        "This file has a second name elsewhere: choose a new file name in the printer-out folder."
    ),
}

PRINT_JOB_KINDS = {
    "receipt": _l("Receipt"),
    "refund": _l("Refund slip"),
    "void": _l("Void slip"),
    "z_report": _l("Shift report"),
    "labels": _l("Labels"),
    "test": _l("Test page"),
    "drawer": _l("Cash drawer"),
}
PRINT_JOB_STATUSES = {
    "queued": _l("waiting"),
    "sending": _l("printing"),
    "printed": _l("printed"),
    "failed": _l("not printed"),
}

#: The audit log's actions as the coordinator's page names them.
AUDIT_ACTIONS = {
    "sign_in": _l("Signed in"),
    "sign_in_failed": _l("Sign-in refused"),
    "pin_reset": _l("PIN reset"),
    "pin_changed": _l("PIN changed"),
    "member_added": _l("Member added"),
    "member_changed": _l("Member changed"),
    "token_created": _l("API token created"),
    "token_revoked": _l("API token revoked"),
    "price_change": _l("Price changed"),
    "discount": _l("Discount"),
    "void": _l("Sale voided"),
    "refund": _l("Money given back"),
    "disposal": _l("Item taken out of stock"),
    "expense_added": _l("Expense recorded"),
    "expense_changed": _l("Expense corrected"),
    "expense_removed": _l("Expense removed"),
    "month_closed": _l("Month closed"),
    "payout": _l("Payout"),
    "payout_corrected": _l("Payout corrected"),
    "shop_settings": _l("Shop settings changed"),
    "books_settings": _l("Who sees and records money changed"),
    "printer_settings": _l("Printer settings changed"),
    "label_printer_settings": _l("Label printer settings changed"),
    "sharing_settings": _l("Sharing settings changed"),
    "offline_sale": _l("Sale rung up with no link arrived"),
    "review_resolved": _l("Sale to look at: seen"),
    "shift_closed_for": _l("Shift closed by a coordinator for its member"),
    "bank_confirmed": _l("Transfer confirmed by the bank"),
    "bank_verified": _l("Transfer confirmed by hand seen at the bank"),
    "bank_outgoing": _l("Money out matched by the bank to a refund or a payout"),
    "bank_review": _l("Bank transaction decided"),
    "bank_settings": _l("Bank feed settings changed"),
    "count_opened": _l("Stock count opened"),
    "count_decision": _l("Stock count difference decided"),
    "count_closed": _l("Stock count closed"),
}
#: Why a sale rung up with no link is on the coordinators' list.
REVIEW_KINDS = {
    "sold_twice": _l("Sold twice: another sale already had this item"),
    "lot_short": _l("More pieces sold than the lot had left"),
    "price": _l("Charged another price than the shop's"),
    "late": _l("Rung up in a month closed since: booked when it arrived"),
    "no_drawer": _l("No open shift of the cashier took the cash"),
}
#: Names of the figures the audit log keeps with a line (others show as they are).
AUDIT_FIELDS = {
    "amount_dong": _l("Amount"),
    "reason": _l("Reason"),
    "old_price_dong": _l("Old price"),
    "price_dong": _l("New price"),
    "total_dong": _l("Total"),
    "cash_dong": _l("Cash"),
    "method": _l("Paid as"),
    "code": _l("Item code"),
    "note": _l("Note"),
    "month": _l("Month"),
    "paid_on": _l("Day it was paid"),
    "payout": _l("Payout number"),
    "payout_dong": _l("Amount of the payout"),
    "left_dong": _l("Left of the payout"),
    "name": _l("Name"),
    "role": _l("Role"),
    "kind": _l("Kind"),
    "sale_discount_dong": _l("Discount on the whole sale"),
    "lines": _l("Items discounted"),
    "result_dong": _l("Result"),
    "reserve_dong": _l("To the group fund (reserve)"),
    "distributable_dong": _l("Shared among members"),
    "category": _l("What for"),
    "spent_on": _l("Day the money was spent"),
    "outcome": _l("Outcome"),
    "address": _l("From address"),
    "phone": _l("Phone"),
    "joined_on": _l("Joined on"),
    "left_on": _l("Left on"),
    "ended_at": _l("Ended at"),
    "counted_dong": _l("Cash counted"),
    "expected_dong": _l("Expected in the drawer"),
    "member": _l("Member"),
    "count": _l("Count"),
    "open_books": _l("Open books"),
    "members_record_expenses": _l("Members record expenses"),
    "sale": _l("Sale"),
    "provider": _l("Bank feed"),
    "provider_id": _l("Feed's number for it"),
    "reference": _l("Bank reference"),
    "base_url": _l("Service address (advanced)"),
    "code_prefix": _l("Payment code starts with"),
    "check_days": _l("Days the bank has to show a transfer confirmed by hand"),
    "keys_changed": _l("Keys saved anew"),
    "lost_item_pays": _l("A lost item of a member: the group pays her"),
    "categories": _l("Categories"),
    "differences": _l("Differences"),
    "scans": _l("Scans"),
    "lost": _l("Items lost"),
    "compensation_dong": _l("Paid to the owner"),
    "difference": _l("Difference"),
    "expected_pieces": _l("Pieces on the books"),
    "counted_pieces": _l("Pieces counted"),
}
#: What an audit line was done to: its first word, as the page says it.
AUDIT_SUBJECTS = {
    "member": _l("member"),
    "sale": _l("sale"),
    "item": _l("item"),
    "expense": _l("expense"),
    "token": _l("token"),
    "shift": _l("shift"),
    "bank": _l("bank"),
    "count": _l("stock count"),
}
#: Why a sign-in was refused, as the audit log keeps it.
SIGN_IN_OUTCOMES = {
    "wrong_pin": _l("wrong PIN"),
    "locked": _l("locked after wrong PINs"),
    "unknown": _l("unknown phone number"),
    "left": _l("has left the shop"),
}
#: Why a bank transaction is on the coordinators' review list (:class:`shop.domain.bank.Reason`).
BANK_REASONS = {
    "no_code": _l("No sale code"),
    "unknown_sale": _l("The code names no sale"),
    "several_codes": _l("Codes of several sales"),
    "amount_low": _l("Too little transferred"),
    "amount_high": _l("Too much transferred"),
    "already_confirmed": _l("The bank already confirmed this sale"),
    "voided": _l("The sale was voided"),
    "no_transfer": _l("The sale was not paid by transfer"),
    "other_account": _l("Money to another account"),
    "outgoing": _l("Money out that matches no refund or payout"),
    "ambiguous": _l("The code fits more than one sale"),
}
#: What a bank transaction did (:class:`shop.domain.bank.Outcome`).
BANK_OUTCOMES = {
    "confirmed": _l("Confirmed a sale"),
    "verified": _l("Seen at the bank: a transfer confirmed by hand"),
    "outgoing": _l("Money out: a refund or a payout"),
    "review": _l("To look at"),
}
