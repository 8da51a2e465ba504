"""The peer's side of ``BENCH_PEER=tryton``: Tryton 8.2 ``sale_point`` rung up through proteus.

Run by ``bench/peer.py`` with the Python of the peer's own venv (``bench/.peer-venv``), never
with the shop's: it imports only trytond and proteus. Given a Tryton database (SQLite, its
modules activated by ``trytond-admin``), it first sets the shop up as the module's own
scenario ``scenario_sale_point.rst`` does (company, chart of accounts, fiscal year with its
periods, a tax, an accounting category, goods, the revenue journal, the storage and customer
locations, a point of sale and a cash payment method), then answers commands, one line each
on standard input, with one line of JSON on standard output:

    sales N   ring up N cash sales of three lines each, as the scenario does (the lines, save,
              pay, post), and answer {"ms": [...], "cpu_ms": [...]}: each sale's time,
              from the new sale to its posting, in milliseconds, on the clock and in
              processor time
    quit      end

The first line written, before any command is read, is {"setup_s": ...}: what the setup
took. Only a sale is timed; nothing of the setup or the pipe is.

trytond runs as it does for a shop (not in its test mode, which also validates computed
fields and so would slow every save). The scenario's helpers live in each module's
``tests`` package, which switches trytond into test mode when imported, so the few proteus
calls they make are written out below, step by step as the scenario names them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from decimal import Decimal

#: The goods the sales ring up, three lines a sale as the shop's own benchmark sale, each
#: with the price a second-hand piece has at the shop (in the scenario's currency).
GOODS = (("Áo phông", "12.0000"), ("Quần jean", "14.0000"), ("Váy hoa", "9.0000"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", required=True, help="trytond configuration file")
    parser.add_argument("--database", required=True, help="database name (SQLite)")
    args = parser.parse_args()
    # Standard output carries the answers only: whatever trytond or proteus prints goes to
    # standard error.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr

    def answer(value: dict) -> None:
        answers.write(json.dumps(value) + "\n")
        answers.flush()

    started = time.perf_counter()
    shop = Shop(args.config, args.database)
    answer({"setup_s": round(time.perf_counter() - started, 3)})
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "sales" and len(words) == 2:
            timings = [shop.timed_sale() for _ in range(int(words[1]))]
            answer({"ms": [wall for wall, _cpu in timings], "cpu_ms": [cpu for _w, cpu in timings]})
        else:
            answer({"error": f"unknown command {line.strip()!r}"})
    return 0


class Shop:
    """A Tryton company with a point of sale, set up as ``scenario_sale_point.rst`` does."""

    def __init__(self, config_file: str, database: str):
        os.environ.setdefault("TRYTOND_DATABASE_URI", "sqlite://")
        from proteus import Model, Wizard
        from proteus import config as proteus_config

        self.Model = Model
        config = proteus_config.set_trytond(database=database, config_file=config_file)
        self.config = config
        Party = Model.get("party.party")
        User = Model.get("res.user")

        # Activate modules (done by trytond-admin) and create the company, as the scenario's
        # activate_modules('sale_point', create_company, create_chart) does.
        company_config = Wizard("company.company.config")
        company_config.execute("company")
        company = company_config.form
        party = Party(name="Dunder Mifflin")
        party.save()
        company.party = party
        company.currency = self._currency()
        company_config.execute("add")
        config._context = User.get_preferences(True, {})
        Company = Model.get("company.company")
        (company,) = Company.find()
        self._create_chart(company)

        # Create fiscal year (with its invoice sequences) and its periods.
        self._create_fiscalyear(company)
        accounts = self._accounts(company)

        # Create tax, an accounting category and the goods.
        Tax = Model.get("account.tax")
        tax = Tax(name="Tax 0.21", description="Tax 0.21", type="percentage")
        tax.rate = Decimal(".21")
        tax.invoice_account = accounts["tax"]
        tax.credit_note_account = accounts["tax"]
        tax.save()
        ProductCategory = Model.get("product.category")
        account_category = ProductCategory(name="Account Category")
        account_category.accounting = True
        account_category.account_revenue = accounts["revenue"]
        account_category.customer_taxes.append(tax)
        account_category.save()
        ProductUom = Model.get("product.uom")
        ProductTemplate = Model.get("product.template")
        (unit,) = ProductUom.find([("name", "=", "Unit")])
        self.goods = []
        for name, price in GOODS:
            template = ProductTemplate()
            template.name = name
            template.default_uom = unit
            template.type = "goods"
            template.salable = True
            template.account_category = account_category
            template.gross_price = Decimal(price)
            template.save()
            (product,) = template.products
            self.goods.append(product)

        # Get journal and stock locations; create the point of sale.
        Journal = Model.get("account.journal")
        Location = Model.get("stock.location")
        POS = Model.get("sale.point")
        SequenceStrict = Model.get("ir.sequence.strict")
        SequenceType = Model.get("ir.sequence.type")
        (journal_revenue,) = Journal.find([("type", "=", "revenue")], limit=1)
        (storage_loc,) = Location.find([("code", "=", "STO")])
        (customer_loc,) = Location.find([("code", "=", "CUS")])
        pos = POS(name="POS")
        pos.journal = journal_revenue
        pos.sequence = SequenceStrict(name="POS", company=pos.company)
        (pos.sequence.sequence_type,) = SequenceType.find([("name", "=", "POS")], limit=1)
        pos.sequence.save()
        pos.storage_location = storage_loc
        pos.customer_location = customer_loc
        pos.save()
        self.pos = pos

        # The cash payment method.
        PaymentMethod = Model.get("sale.point.payment.method")
        cash_method = PaymentMethod(name="Cash")
        cash_method.account = accounts["cash"]
        cash_method.cash = True
        cash_method.save()
        self.cash_method = cash_method
        self.Sale = Model.get("sale.point.sale")

    def _currency(self):
        Currency = self.Model.get("currency.currency")
        CurrencyRate = self.Model.get("currency.currency.rate")
        found = Currency.find([("code", "=", "USD")])
        if found:
            return found[0]
        currency = Currency(name="U.S. Dollar", symbol="$", code="USD", rounding=Decimal("0.01"))
        currency.save()
        CurrencyRate(date=datetime.date.min, rate=Decimal("1.0"), currency=currency).save()
        return currency

    def _create_chart(self, company) -> None:
        from proteus import Wizard

        AccountTemplate = self.Model.get("account.account.template")
        ModelData = self.Model.get("ir.model.data")
        chart_id = ModelData.get_id("account.account_template_root_en", self.config.context)
        create_chart = Wizard("account.create_chart")
        create_chart.execute("account")
        create_chart.form.account_template = AccountTemplate(chart_id)
        create_chart.form.company = company
        create_chart.execute("create_account")
        accounts = self._accounts(company)
        if accounts["receivable"].party_required:
            create_chart.form.account_receivable = accounts["receivable"]
        if accounts["payable"].party_required:
            create_chart.form.account_payable = accounts["payable"]
        if hasattr(create_chart.form, "category_account_expense"):
            create_chart.form.category_account_expense = accounts["expense"]
        if hasattr(create_chart.form, "category_account_revenue"):
            create_chart.form.category_account_revenue = accounts["revenue"]
        create_chart.execute("create_properties")

    def _accounts(self, company) -> dict:
        Account = self.Model.get("account.account")
        accounts = {}
        for kind in ("receivable", "payable", "revenue", "expense"):
            (accounts[kind],) = Account.find(
                [(f"type.{kind}", "=", True), ("company", "=", company.id),
                 ("closed", "!=", True)], limit=1,
            )  # fmt: skip
        for kind, code in (("cash", "1.1.1"), ("tax", "6.3.6")):
            (accounts[kind],) = Account.find(
                [("company", "=", company.id), ("code", "=", code)], limit=1
            )
        return accounts

    def _create_fiscalyear(self, company) -> None:
        """The year around today (six months either side), as the scenario's helper makes
        it, with one strict sequence for the moves and one for the invoices."""
        FiscalYear = self.Model.get("account.fiscalyear")
        SequenceStrict = self.Model.get("ir.sequence.strict")
        SequenceType = self.Model.get("ir.sequence.type")
        from dateutil.relativedelta import relativedelta

        today = datetime.date.today()  # noqa: DTZ011 (Tryton dates its sales so)
        start = today - relativedelta(months=6, day=1)
        end = today + relativedelta(months=5, day=31)
        fiscalyear = FiscalYear(name=str(today.year), start_date=start, end_date=end)
        fiscalyear.company = company
        (move_type,) = SequenceType.find([("name", "=", "Account Move")], limit=1)
        fiscalyear.move_sequence = SequenceStrict(
            name=str(today.year), sequence_type=move_type, company=company
        )
        fiscalyear.move_sequence.save()
        (invoice_type,) = SequenceType.find([("name", "=", "Invoice")], limit=1)
        invoice_seq = SequenceStrict(
            name=str(today.year), sequence_type=invoice_type, company=company
        )
        invoice_seq.save()
        (seq,) = fiscalyear.invoice_sequences
        seq.out_invoice_sequence = invoice_seq
        seq.in_invoice_sequence = invoice_seq
        seq.out_credit_note_sequence = invoice_seq
        seq.in_credit_note_sequence = invoice_seq
        fiscalyear.click("create_period")

    def sale(self) -> None:
        """Make a sale: three lines, save, pay the total in cash, post (the scenario's
        "Make a sale", "Overpay" paid exactly in cash instead, and "Post the sale")."""
        sale = self.Sale(point=self.pos)
        for product in self.goods:
            line = sale.lines.new()
            line.product = product
            line.quantity = 1
        sale.save()
        assert sale.state == "open", sale.state
        payment = sale.click("pay")
        payment.form.method = self.cash_method
        payment.execute("pay")
        assert sale.state == "done", sale.state
        sale.click("post")
        assert sale.state == "posted", sale.state

    def timed_sale(self) -> tuple[float, float]:
        """One sale's time in milliseconds: on the clock, and the processor time it took."""
        started, cpu = time.perf_counter_ns(), time.process_time_ns()
        self.sale()
        return (time.perf_counter_ns() - started) / 1e6, (time.process_time_ns() - cpu) / 1e6


if __name__ == "__main__":
    sys.exit(main())
