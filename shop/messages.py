"""Translated messages for the domain's refusal codes, shared by forms, services and the API."""

from flask_babel import LazyString
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


#: What a service refuses with (``shop.services.errors``), by code, in words: the words
#: are chosen here, where the refusal is shown; the values a message names are filled in
#: by :func:`refusal`.
REFUSALS = {
    **{f"pin.{code}": message for code, message in PIN.items()},
    **{f"phone.{code}": message for code, message in PHONE.items()},
    **{f"printer_path.{code}": message for code, message in PRINTER_PATHS.items()},
    "amount.not_positive": _l("The amount must be more than 0 đồng."),
    "amount.too_large": _l("The amount is too large."),
    "bank.address_not_https": _l("The address starts with https://."),
    "bank.amount_differs": _l(
        "The sale waits for another amount: a transfer pays it only in full."
    ),
    "bank.check_days_out_of_range": _l("Between 1 and 60 days."),
    "bank.decided_already": _l("This transaction was decided already."),
    "bank.key_too_long": _l("A key has at most 200 characters."),
    "bank.not_for_review": _l("This transaction is not on the review list."),
    "bank.note_missing": _l("Say what this money is."),
    "bank.outgoing_pays_no_sale": _l("Money sent out pays no sale."),
    "bank.prefix_invalid": _l("The code's prefix is 2 to 6 letters A to Z."),
    "bank.provider_invalid": _l("Choose SePay, Casso or no bank feed."),
    "bank.review_coordinators_only": _l("Only a coordinator decides on bank transactions."),
    "bank.sale_not_by_transfer": _l("This sale was not paid by transfer."),
    "bank.sale_not_found": _l("There is no sale number %(number)s."),
    "bank.sale_paid_already": _l("Another bank transaction already paid this sale."),
    "bank.sale_voided": _l("This sale was voided."),
    "bank.settings_coordinators_only": _l("Only a coordinator can change the bank feed."),
    "bank.transaction_not_found": _l("There is no such bank transaction."),
    "body.needs_fixing": _l("Some of what you entered needs fixing."),
    "body.not_json": _l("Send the body as JSON (Content-Type: application/json)."),
    "body.not_object": _l("The body must be a JSON object."),
    "body.too_deep": _l("This is nested too deep: lists and objects go at most %(depth)s deep."),
    "cart.item_there": _l("Item %(code)s is already in the cart."),
    "cart.line_not_found": _l("This line is not in your cart."),
    "cart.one_of_a_kind": _l("This item is one of a kind."),
    "cart.only_left": _l("Only %(left)s left of %(code)s."),
    "choice.invalid": _l("Choose one of the options."),
    "client_id.missing": _l(
        "Send a client_id (8 to 64 letters, digits or - _ . :) or an Idempotency-Key header, "
        "so a retry cannot sell twice."
    ),
    "count.already_closed": _l("This stock count is already closed."),
    "count.already_open": _l("A stock count is already open: close it before opening another."),
    "count.category_invalid": _l("Choose categories from the list."),
    "count.coordinators_only": _l("Only a coordinator can open or close a stock count."),
    "count.item_gone": _l("Item %(code)s is no longer in stock."),
    "count.lot_changed": _l("Lot %(code)s changed while you decided."),
    "count.lot_pieces_missing": _l("Count the pieces of this lot and enter how many."),
    "count.none_open": _l("No stock count is open."),
    "count.not_a_difference": _l(
        "The rail or the books changed while you decided (%(code)s): read the list again."
    ),
    "count.lost": _l("Lost at stock count %(number)s"),
    "count.not_allowed": _l("That is not a choice for %(code)s."),
    "count.not_found": _l("There is no stock count %(number)s."),
    "count.not_found_at": _l("Not found at stock count %(number)s"),
    "count.pieces_missing": _l("%(pieces)s pieces missing at stock count %(number)s"),
    "count.undecided": _l("Decide every difference before closing the count (%(code)s)."),
    "day.future": _l("This day has not come yet: write today's date or an earlier one."),
    "day.in_future": _l("The day cannot be in the future."),
    "day.invalid": _l("Write the date as dd/mm/yyyy, for example 01/10/2026."),
    "day.out_of_range": _l("This date is out of range."),
    "disposal.consent_missing": _l("Tick that the owner agrees to give it to the group."),
    "disposal.members_item": _l(
        "This item belongs to a member: return it to her, or give it to the group with her "
        "consent first."
    ),
    "disposal.not_consigned": _l(
        "Only a member's consigned item can go back to her or to the group."
    ),
    "donor.name_missing": _l("Enter the donor's name."),
    "donor.not_found": _l("There is no such donor."),
    "expense.bale_not_stock": _l("Only a stock purchase names the bale it paid for."),
    "expense.coordinators_only": _l("Only a coordinator records expenses in this shop."),
    "expense.count_compensation": _l(
        "This is what a stock count's close paid for a lost item: it cannot be corrected or "
        "removed by hand."
    ),
    "expense.not_found": _l("There is no such expense."),
    "expense.removed": _l("This expense was removed."),
    "expense.unchanged": _l("Nothing was changed."),
    "figures.own_only": _l("A member reads her own figures only. Ask a coordinator."),
    "intake.bale_coordinators_only": _l(
        "Only a coordinator records a bale bought: its cost is the group's money."
    ),
    "intake.cost_missing": _l("Enter what the bale cost."),
    "intake.exists": _l("An intake %(ref)s already exists."),
    "intake.not_found": _l("There is no intake %(ref)s."),
    "intake.owner_left": _l("This member has left the group."),
    "intake.owner_missing": _l("Choose the member whose items these are."),
    "intake.supplier_missing": _l("Enter where the bale was bought."),
    "item.category_missing": _l("Choose a category."),
    "item.category_not_found": _l("There is no such category."),
    "item.code_invalid": _l("A code is 1 to 32 letters, digits or dashes."),
    "item.code_taken": _l("Code %(code)s is already in use."),
    "item.not_found": _l("There is no item with code %(code)s."),
    "item.not_in_stock": _l("This item is no longer in stock."),
    "item.share_not_consigned": _l("Only consigned items have an owner's share."),
    "item.share_out_of_range": _l("The owner's share must be between 0 and 10000 basis points."),
    # A journal's problems are in English whatever the shop speaks (they name its fields),
    # and so is the refusal that carries them: these are not translated.
    "journal.problem": "the journal has %(count)s problem",
    "journal.problems": "the journal has %(count)s problems",
    "journal.shop_not_empty": (
        "The shop already has a history (members, stock, expenses or policies): "
        "a journal can only be imported into an empty shop."
    ),
    "label_printer.columns_invalid": _l("One, two or three labels across the roll."),
    "label_printer.connection_invalid": _l("Choose how the label printer is connected."),
    "label_printer.density_out_of_range": _l("Density is a number from 0 to 15."),
    "label_printer.gap_mm_out_of_range": _l("The gap is 0 to 10 mm (nearly always 2)."),
    "label_printer.height_mm_out_of_range": _l("A label is 10 to 150 mm tall."),
    "label_printer.too_wide": _l("Too wide: a label printer takes at most %(mm)s mm across."),
    "label_printer.width_mm_out_of_range": _l("A label is 20 to 110 mm wide."),
    "lot.quantity_out_of_range": _l("The quantity must be a whole number from 1 to 100000."),
    "member.left_before_joining": _l("She cannot leave before she joined."),
    "member.name_missing": _l("Enter her name."),
    "member.name_too_long": _l("The name is too long (at most 120 letters)."),
    "member.no_such_number": _l("There is no member number %(number)s."),
    "member.number_taken": _l("Number %(number)s is already taken."),
    "member.own_leaving": _l("You cannot mark yourself as left; ask another coordinator."),
    "member.own_role": _l("You cannot remove your own coordinator role; ask another coordinator."),
    "member.phone_taken": _l("Member %(number)s already has this phone number."),
    "moment.invalid": _l(
        "Write the moment as ISO 8601 with its offset, e.g. 2026-12-01T03:00:00Z."
    ),
    "month.already_closed": _l("%(month)s is already closed."),
    "month.closed_for_corrections": _l(
        "%(month)s is closed: enter corrections in the current month."
    ),
    "month.invalid": _l("Write the month as YYYY-MM, for example 2026-11."),
    "month.not_ended": _l("%(month)s has not ended yet: it can be closed from %(day)s on."),
    "month.nothing_recorded": _l(
        "Nothing was recorded in %(month)s or before it: there is nothing to close."
    ),
    "month.out_of_order": _l("Close %(first)s first: months are closed in order."),
    "month.shift_still_open": _l(
        "The shift of %(name)s, open since %(time)s, is still open: she closes it at the "
        "counter, or a coordinator closes it for her below."
    ),
    "month.transfer_waiting": _l(
        "A sale of %(month)s is still waiting for its transfer: confirm it or void it first."
    ),
    "notebook.lines_invalid": _l(
        "Write one code per line, with the number of pieces after it for a lot: SOCKS 3."
    ),
    "payment.method_invalid": _l("Choose cash or transfer."),
    "payout.before_month_end": _l("A payout against %(month)s is paid after the month has ended."),
    "payout.correction_before_paid": _l("A payout is corrected after it was paid."),
    "payout.correction_too_late": _l(
        "%(next)s is closed: payouts against %(month)s can no longer be corrected. Record the "
        "difference in the current month."
    ),
    "payout.correction_too_much": _l("At most %(left)s of this payout can be taken back."),
    "payout.month_open": _l("%(month)s is not closed yet: a month is paid out after it is closed."),
    "payout.next_month_closed": _l(
        "%(next)s is closed too: payouts against %(month)s can no longer be recorded."
    ),
    "payout.not_found": _l("There is no such payout."),
    "payout.nothing_due": _l("Nothing is due to %(name)s for %(month)s."),
    "payout.reason_missing": _l("Say why the payout is corrected."),
    "payout.taken_back": _l("This payout has already been taken back in full."),
    "payout.too_much": _l("At most %(left)s can still be paid to %(name)s for %(month)s."),
    "photo.busy": _l("Another photo is being saved. Try again in a moment."),
    "photo.missing": _l("Choose a picture first."),
    "photo.too_many_pixels": _l(
        "This picture has too many pixels: at most %(limit)s megapixels (a phone photo has "
        "about 12)."
    ),
    "photo.unreadable": _l("This is not a picture the shop can read."),
    "pin.current_wrong": _l("The current PIN is not right. %(left)s tries left."),
    "pin.device_locked": _l("Too many wrong PINs from this device. Try again at %(time)s."),
    "pin.phone_locked": _l("Too many wrong PINs. This phone is locked until %(time)s."),
    "pin.same_as_before": _l("The new PIN must differ from the current one."),
    "pin.wrong": _l("Wrong PIN. %(left)s tries left."),
    "price.not_positive": _l("The price must be more than 0 đồng."),
    "price.reason_missing": _l("Say why the price changes."),
    "price.too_early": _l(
        "A price change cannot come before the item came in or before its last price change."
    ),
    "price.unchanged": _l("That is already its price."),
    "print_job.not_found": _l("There is no such print job."),
    "print_job.printed_already": _l("This was printed already."),
    "print_job.printing_now": _l("It is printing right now."),
    "printing.cups_queue_invalid": _l("This is not the name of a CUPS queue."),
    "printing.cups_queue_missing": _l("Enter the name of the printer's CUPS queue."),
    "printing.host_missing": _l("Enter the printer's IP address or name."),
    "printing.no_raster": _l("This printer cannot print images: choose the printer's own letters."),
    "printing.no_receipt_printer": _l("No receipt printer is set up."),
    "printing.none": _l("No printer is set up."),
    "printing.path_missing": _l("Enter the device or file, such as /dev/usb/lp0."),
    "printing.port_invalid": _l("A port is a number from 1 to 65535."),
    "printing.profile_unknown": _l("Choose a printer profile from the list."),
    "printing.serial_device_missing": _l("Enter the serial device, such as /dev/ttyUSB0."),
    "printing.too_narrow": _l("This printer is too narrow for 80 mm paper."),
    "printing.usb_ids_missing": _l("Enter the USB ids shown by lsusb, such as 0416."),
    "refund.line_not_found": _l("This sale has no such line."),
    "refund.open_shift_first": _l("Open your shift first: the cash comes out of its drawer."),
    "refund.pieces_negative": _l("The number of pieces cannot be negative."),
    "refund.pieces_too_many": _l("More pieces than were sold on this line."),
    "refund.reason_missing": _l("Say why the money is given back."),
    "refund.too_much": _l("At most %(left)s can still be refunded on this line."),
    "refund.transfer_waiting": _l("This sale is still waiting for its transfer."),
    "report.not_found": _l("There is no report for this day."),
    "review.not_found": _l("There is no such review."),
    "review.note_missing": _l("Say what was done about it."),
    "sale.client_id_reused": _l("This client id was already used for another sale."),
    "sale.discount_reason_missing": _l("Say why there is a discount."),
    "sale.empty": _l("The cart is empty: scan or add an item first."),
    "sale.impossible": _l("The sale is not possible."),
    "sale.in_future": _l("The time cannot be in the future."),
    "sale.item_not_in_yet": _l("Item %(code)s had not come in yet at that time."),
    "sale.item_sold": _l("Item %(code)s is already sold."),
    "sale.item_twice": _l("One item is twice in the sale."),
    "sale.line_discount": _l("A line's discount cannot be more than the line."),
    "sale.no_shift_then": _l("%(name)s had no shift open at that time."),
    "sale.payments": _l("The payments do not add up to what the sale comes to."),
    "sale.price": _l("The price is not possible."),
    "sale.quantity": _l("The quantity must be at least 1."),
    "sale.sale_discount": _l("The discount cannot be more than the sale."),
    "sale.tendered": _l("The cash handed over must cover the cash part."),
    "sale.transfer": _l("The transfer cannot be more than the total."),
    "scan.code_missing": _l("Scan or type a code."),
    "scan.code_too_long": _l("A code is at most %(n)s characters."),
    "scan.count_closed": _l("This stock count is closed: the scan was not added."),
    "scan.count_closed_stays": _l("This stock count is closed: the scan stays."),
    "scan.id_invalid": _l("This scan has no valid id from the phone."),
    "scan.id_reused": _l("This scan id was already used for another code."),
    "scan.not_found": _l("There is no such scan in this count."),
    "scan.not_hers": _l("Only the member who scanned it or a coordinator can take it back."),
    "scan.pieces_missing": _l("Enter the number of pieces."),
    "scan.pieces_of_item": _l("Only a lot is counted by pieces: this is one item."),
    "scan.pieces_out_of_range": _l("Enter between 1 and %(n)s pieces."),
    "shift.already_closed": _l("This shift is already closed."),
    "shift.already_open": _l("Your shift is already open."),
    "shift.close_first": _l("Close the shift first."),
    "shift.counted_negative": _l("The counted cash cannot be negative."),
    "shift.end_before_last_sale": _l(
        "Her last sale or refund in this shift was at %(time)s: the shift cannot end before it."
    ),
    "shift.end_before_open": _l("The shift cannot end before it opened."),
    "shift.end_in_future": _l("The shift cannot end in the future."),
    "shift.float_negative": _l("The opening float cannot be negative."),
    "shift.hers_or_coordinators": _l("Only she or a coordinator can do this."),
    "shift.none_open": _l("You have no open shift."),
    "shift.no_difference": _l("The count has no difference to explain."),
    "shift.not_found": _l("There is no such shift."),
    "shift.note_exists": _l("This difference already has a note."),
    "shift.note_missing": _l("Say what happened, in a few words."),
    "shift.open_first": _l("Open your shift first."),
    "shift.own_at_counter": _l("Close your own shift from the counter."),
    "shift.reason_missing": _l("Say why you are closing her shift."),
    "shift.transfer_waiting": _l(
        "A transfer is still waiting: confirm it or cancel the sale before closing the shift."
    ),
    "shop.bank_account_invalid": _l("The account number is 1 to 19 letters or digits."),
    "shop.bank_bin_invalid": _l("The bank code has 6 digits."),
    "shop.coordinators_only": _l("Only a coordinator can do this."),
    "shop.name_missing": _l("Enter the shop's name."),
    "shop.no_permission": _l("You do not have permission for this. Ask a coordinator."),
    "shop.not_set_up": _l("Set up the shop first."),
    "sign_in.member_left": _l("This member has left the shop and cannot sign in."),
    "sign_in.wrong": _l("Wrong phone number or PIN. %(left)s tries left."),
    "statements.nobody": _l("nobody has a part in %(month)s"),
    "tags.count_out_of_range": _l("The number of tags must be from 1 to %(most)s."),
    "tags.label_out_of_range": _l("Choose a label from 1 to %(last)s."),
    "text.too_long_300": _l("At most 300 letters."),
    "text.too_long_60": _l("At most 60 letters."),
    "token.coordinators_only": _l("Only a coordinator can create API tokens."),
    "token.name_missing": _l("Give the token a name that says what it is for."),
    "token.not_found": _l("There is no such token."),
    "void.already_voided": _l("This sale is already voided."),
    "void.another_day": _l("A sale can be voided only on the day it was sold; refund it instead."),
    "void.not_hers": _l(
        "Only %(name)s, who rang it up, or a coordinator can void this sale: its money is in "
        "her drawer."
    ),
    "void.reason_missing": _l("Say why the sale is voided."),
    "void.refunded": _l("Part of this sale was refunded: refund the rest instead."),
    "void.shift_closed": _l(
        "Only a sale of a shift that is still open can be voided; refund it instead."
    ),
}


def shown(value) -> object:
    """A value a refusal names, as the reader sees it (money, a month, a moment, a day)."""
    from shop.domain.money import format_dong
    from shop.i18n import format_clock, format_day, format_moment, month_label
    from shop.services.errors import ClockTime, Day, Dong, Moment, MonthName

    said = {
        Dong: format_dong,
        MonthName: month_label,
        Moment: format_moment,
        ClockTime: format_clock,
        Day: format_day,
    }.get(type(value))
    return value if said is None else said(value.value)


def refusal(code: str, values: dict) -> LazyString:
    """A service's refusal ``code`` in words, with the ``values`` it names: worked out in
    the reader's language when it is shown."""
    template = REFUSALS[code]
    if not values:
        return template
    return LazyString(lambda: str(template) % {k: shown(v) for k, v in values.items()})


def not_found_at_count(number: int) -> str:
    """What a stock count's close keeps with an item or pieces it found missing, in the
    language spoken now (``shop.services.counts.close_count``'s ``lost_reason``)."""
    return str(refusal("count.not_found_at", {"number": number}))


def in_words(said) -> object:
    """One refusal a service listed for a field (a code, a ``(code, values)`` pair, or words
    from older code) in words."""
    from shop.services.errors import is_code

    if isinstance(said, tuple):
        return refusal(*said)
    return refusal(said, {}) if is_code(said) else said
