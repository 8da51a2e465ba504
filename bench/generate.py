"""A realistic large shop, written as a journal (``shop-journal`` version 1).

Three years (January 2023 to December 2025) of a collective's second-hand shop: 25 members
(two coordinators, three who joined later, one who left), donors, bags donated, members'
consignments and bales bought, lots of socks; two shifts a day; sales that grow from about
1,700 a month to 5,000 in the last month, with line and whole-sale discounts, cash,
transfers and both, voids within their shift and refunds days later (some putting the item
back on the rail, which then sells again); markdown by age, price changes, a weekly
clearance (consigned items back to their owner, the group's donated onward); rent, power,
supplies and bales as expenses; every month closed but the last, which the benchmark
closes.

At ``scale`` 1 it holds about 150,000 items and 120,000 sales; the number of items and
sales scales linearly, the three years do not. Everything comes from one seeded
``random.Random``, so the same scale gives the same journal, byte for byte. The journal
passes :func:`shop.journal.check.check_journal` (tested by ``bench/run.py --check``).

    .venv/bin/python -m bench.generate --scale 0.1 --out /tmp/shop.json
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shop.domain.codes import item_code
from shop.domain.pricing import DEFAULT_MARKDOWN, days_in_stock, effective_price
from shop.domain.sale import Line, payment, totals

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2025, 12, 31)
MONTHS = 36
#: Sales in the first and the last month at scale 1 (a straight line in between: about
#: 120,000 in all).
FIRST_MONTH_SALES = 1_667
LAST_MONTH_SALES = 5_000
TOTAL_ITEMS = 150_000
MEMBERS = 25
SEED = 20230101
#: Bump when the generator changes what it writes: the benchmark's cache is keyed by it.
VERSION = 3

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương"]
MIDDLE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Minh", "Thanh", "Hồng"]
GIVEN = [
    "Hồng", "Ngọc", "Út", "Lan", "Mai", "Hoa", "Hương", "Thảo", "Trang", "Linh", "Hà", "Yến",
    "Nhung", "Phương", "Hạnh", "Loan", "Thủy", "Vân", "Huyền", "Oanh", "Diệp", "Quyên", "Tâm",
    "Hiền", "Ánh", "Dung", "Giang", "Liên", "Nga", "Xuân",
]  # fmt: skip
ORGANISATIONS = [
    "Văn phòng LIGHT", "Trường Tiểu học Nghĩa Dũng", "Công ty May 10", "Nhà thờ Cửa Bắc",
    "CLB Tình nguyện Ba Đình", "Hội Phụ nữ phường Quán Thánh", "Ngân hàng ACB Ba Đình",
]  # fmt: skip
SUPPLIERS = ["Chợ Ninh Hiệp", "Kiện hàng Hải Phòng", "Chợ Đồng Xuân", "Kho Lạng Sơn"]

# category: (descriptions, sizes, price range in thousands)
CATEGORIES = {
    "Áo": (
        ["Áo sơ mi nữ", "Áo phông", "Áo len", "Áo kiểu", "Áo thun cổ tròn", "Áo sơ mi nam",
         "Áo dài cách tân", "Áo croptop"],
        ["S", "M", "L", "XL"], (20, 150),
    ),
    "Quần": (
        ["Quần jean", "Quần âu", "Quần short", "Quần kaki", "Quần ống rộng", "Quần legging"],
        ["26", "27", "28", "29", "30", "31", "32", "M", "L"], (25, 180),
    ),
    "Váy, đầm": (
        ["Váy liền hoa nhí", "Đầm công sở", "Chân váy xếp ly", "Váy maxi", "Đầm dự tiệc"],
        ["S", "M", "L"], (40, 300),
    ),
    "Áo khoác": (
        ["Áo khoác gió", "Áo khoác jean", "Áo phao", "Áo blazer", "Áo cardigan", "Áo măng tô"],
        ["S", "M", "L", "XL"], (60, 400),
    ),
    "Đồ trẻ em": (
        ["Áo phông trẻ em", "Bộ đồ bé gái", "Quần trẻ em", "Váy bé gái", "Áo khoác trẻ em"],
        ["2", "4", "6", "8", "10", "12"], (15, 90),
    ),
    "Giày dép": (
        ["Giày thể thao", "Dép quai hậu", "Giày búp bê", "Bốt cổ ngắn", "Sandal"],
        ["36", "37", "38", "39", "40", "41"], (40, 250),
    ),
    "Túi": (
        ["Túi vải", "Túi xách da", "Ba lô", "Túi đeo chéo", "Ví cầm tay"], [], (20, 250),
    ),
    "Phụ kiện": (
        ["Khăn lụa", "Thắt lưng", "Mũ len", "Kính râm", "Khăn quàng cổ"], [], (10, 90),
    ),
}  # fmt: skip
CATEGORY_WEIGHTS = [26, 18, 14, 10, 14, 7, 6, 5]
COLOURS = [
    "trắng", "đen", "xanh", "đỏ", "hồng", "be", "xám", "nâu", "vàng", "kẻ sọc", "hoa nhí",
    "xanh than", "tím", "cam",
]  # fmt: skip
CONDITIONS = ["new", "like_new", "good", "good", "good", "fair"]
LOTS = [("Phụ kiện", "Tất cotton"), ("Phụ kiện", "Khẩu trang vải"), ("Đồ trẻ em", "Tất trẻ em")]
LINE_REASONS = ["vết bẩn nhỏ", "thiếu cúc", "đường may bung", "khách mua nhiều"]
SALE_REASONS = ["khách quen", "thành viên mua", "mua nhiều món", "khuyến mãi cuối tuần"]
VOID_REASONS = ["bấm nhầm", "khách đổi ý", "quét nhầm mã"]
REFUND_REASONS = ["khách trả lại, không vừa", "phát hiện lỗi", "khách đổi ý trong 3 ngày"]


def _money(rng: random.Random, low_k: int, high_k: int) -> int:
    """A shop price: whole thousands, mostly on 5k steps."""
    price = rng.randint(low_k, high_k)
    if price > 20:
        price -= price % 5
    return price * 1000


def _at(day: date, seconds: int) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ) + timedelta(seconds=seconds)


def _text(moment: datetime) -> str:
    return moment.isoformat()


def _weight(day: date) -> float:
    """Weekends sell more."""
    return 1.35 if day.weekday() >= 5 else 0.86


def _month_weight(year: int, month: int) -> float:
    day, total = date(year, month, 1), 0.0
    while day.month == month:
        total += _weight(day)
        day += timedelta(days=1)
    return total


def _months() -> list[tuple[int, int]]:
    months, year, month = [], FIRST_DAY.year, FIRST_DAY.month
    for _ in range(MONTHS):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass
class _Stock:
    code: str
    price: int
    received_at: datetime
    received_on: date
    consigned: bool
    lot: bool = False
    on_hand: int = 1
    in_stock: bool = True


@dataclass
class _Shift:
    member: int
    opened_at: datetime
    closed_at: datetime
    cash: int = 0  # cash taken in (sales not voided) − cash refunded
    float_dong: int = 500_000


@dataclass
class _Rail:
    """Unique items on the rail, for picking one at random and taking it off in O(1)."""

    codes: list[str] = field(default_factory=list)
    where: dict[str, int] = field(default_factory=dict)

    def add(self, code: str) -> None:
        if code not in self.where:
            self.where[code] = len(self.codes)
            self.codes.append(code)

    def remove(self, code: str) -> None:
        index = self.where.pop(code)
        last = self.codes.pop()
        if last != code:
            self.codes[index] = last
            self.where[last] = index

    def __len__(self) -> int:
        return len(self.codes)


class Generator:
    def __init__(self, scale: float, seed: int = SEED, last_month_sales: int | None = None):
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self.last_month_sales = last_month_sales
        self.rng = random.Random(f"{seed}:{scale}:{last_month_sales}")
        self.members: list[dict] = []
        self.stock: dict[str, _Stock] = {}
        self.rail = _Rail()
        self.lots: list[str] = []  # lot codes with pieces left
        self.code_number = 0
        self.intakes: list[dict] = []
        self.sales: list[dict] = []
        self.refunds: list[dict] = []
        self.price_changes: list[dict] = []
        self.disposals: list[dict] = []
        self.expenses: list[dict] = []
        self.shifts: list[_Shift] = []
        self.by_day: dict[date, list[_Shift]] = {}
        # (moment, sequence, kind, payload): things that happen later (items back on the
        # rail after a void or a refund, a price looked at again after 20 days).
        self.pending: list[tuple[datetime, int, str, object]] = []
        self.sequence = 0

    # ------------------------------------------------------------------ people

    def make_members(self) -> None:
        names = set()
        rng = self.rng
        while len(names) < MEMBERS:
            names.add(f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}")
        for number, name in enumerate(sorted(names, key=lambda n: rng.random()), start=1):
            joined = date(2022, 12, 1)
            if number == 23:
                joined = date(2023, 9, 15)
            elif number == 24:
                joined = date(2024, 3, 1)
            elif number == 25:
                joined = date(2025, 2, 10)
            self.members.append(
                {
                    "number": number,
                    "name": name,
                    "phone": f"09120000{number:02d}",
                    "role": "coordinator" if number <= 2 else "member",
                    "joined_on": joined.isoformat(),
                    "left_on": "2025-06-30" if number == 20 else None,
                }
            )

    def active(self, day: date) -> list[int]:
        return [
            m["number"]
            for m in self.members
            if date.fromisoformat(m["joined_on"]) <= day
            and (m["left_on"] is None or day <= date.fromisoformat(m["left_on"]))
        ]

    def donors(self) -> list[dict]:
        rng = self.rng
        donors = []
        for index in range(1, 301):
            organisation = rng.choice(ORGANISATIONS) if rng.random() < 0.15 else None
            donors.append(
                {
                    "ref": f"d{index}",
                    "name": organisation
                    or f"Chị {rng.choice(GIVEN)}"
                    + (f" ({rng.choice(['Ba Đình', 'Tây Hồ', 'Đống Đa', 'Hoàn Kiếm'])})"),
                    "phone": f"098{rng.randint(1000000, 9999999)}" if rng.random() < 0.4 else None,
                    "organisation": organisation,
                }
            )
        return donors

    # ------------------------------------------------------------------ the plan

    def month_sales(self) -> dict[tuple[int, int], int]:
        """Sales wanted in each month: a straight line from the first month to the last,
        times the scale; the last month at ``last_month_sales`` when that is given."""
        months = _months()
        step = (LAST_MONTH_SALES - FIRST_MONTH_SALES) / (len(months) - 1)
        wanted = {
            ym: max(1, round((FIRST_MONTH_SALES + step * index) * self.scale))
            for index, ym in enumerate(months)
        }
        if self.last_month_sales is not None:
            wanted[months[-1]] = self.last_month_sales
        return wanted

    def plan_shifts(self) -> None:
        """Two shifts a day, by two different members, taking turns fairly."""
        rng = self.rng
        worked: dict[int, int] = {}
        day = FIRST_DAY
        while day <= LAST_DAY:
            people = self.active(day)
            rng.shuffle(people)
            people.sort(key=lambda n: worked.get(n, 0))
            morning, afternoon = people[0], people[1]
            worked[morning] = worked.get(morning, 0) + 1
            worked[afternoon] = worked.get(afternoon, 0) + 1
            change = 14 * 3600 + rng.randint(-300, 300)
            shifts = [
                _Shift(morning, _at(day, 8 * 3600 + rng.randint(-300, 300)), _at(day, change)),
                _Shift(afternoon, _at(day, change), _at(day, 20 * 3600 + rng.randint(-300, 600))),
            ]
            self.by_day[day] = shifts
            self.shifts.extend(shifts)
            day += timedelta(days=1)

    def later(self, at: datetime, kind: str, payload: object) -> None:
        self.sequence += 1
        heapq.heappush(self.pending, (at, self.sequence, kind, payload))

    def catch_up(self, until: datetime) -> None:
        """Everything pending strictly before ``until``."""
        while self.pending and self.pending[0][0] < until:
            at, _seq, kind, payload = heapq.heappop(self.pending)
            if kind == "back":
                code, quantity = payload
                self.put_back(code, quantity)
            elif kind == "reprice":
                self.reprice(at, payload)

    # ------------------------------------------------------------------ stock

    def new_code(self) -> str:
        self.code_number += 1
        return item_code(self.code_number)

    def receive(self, day: date, items_wanted: int, *, bought: bool = True) -> None:
        """The day's drop-offs (in the morning, before the shop opens); ``bought``: bales
        bought among them (not for the stock the shop opens with: its cost would fall in
        the month before the first)."""
        rng = self.rng
        people = self.active(day)
        moment = 7 * 3600 + rng.randint(0, 1200)
        while items_wanted > 0:
            roll = rng.random()
            kind = "donation" if roll < 0.45 else "consignment" if roll < 0.87 else "purchase"
            if kind == "purchase" and not bought:
                kind = "donation"
            size = rng.randint(40, 90) if kind == "purchase" else rng.randint(4, 30)
            size = min(size, items_wanted) if items_wanted > 3 else items_wanted
            items_wanted -= size
            moment += rng.randint(30, 240)
            received_at = _at(day, moment)
            ref = f"i{len(self.intakes) + 1}"
            entry: dict = {
                "ref": ref,
                "kind": kind,
                "received_at": _text(received_at),
                "by": rng.choice([1, 2] if rng.random() < 0.6 else people),
            }
            if kind == "donation":
                entry["donor"] = f"d{rng.randint(1, 300)}"
            elif kind == "consignment":
                entry["owner"] = rng.choice(people)
            else:
                entry["supplier"] = rng.choice(SUPPLIERS)
                self.expenses.append(
                    {
                        "on": day.isoformat(),
                        "category": "stock_purchase",
                        "amount_dong": _money(rng, 15, 40) * 100,
                        "note": entry["supplier"],
                        "intake": ref,
                        "by": 1,
                    }
                )
            items = []
            for _ in range(size):
                category = rng.choices(list(CATEGORIES), CATEGORY_WEIGHTS)[0]
                words, sizes, (low, high) = CATEGORIES[category]
                code = self.new_code()
                price = _money(rng, low, high)
                item = {
                    "code": code,
                    "category": category,
                    "description": f"{rng.choice(words)} {rng.choice(COLOURS)}",
                }
                if sizes:
                    item["size"] = rng.choice(sizes)
                item["condition"] = rng.choice(CONDITIONS)
                item["price_dong"] = price
                if kind == "consignment":
                    item["consignor_bp"] = 7000
                items.append(item)
                self.stock[code] = _Stock(code, price, received_at, day, kind == "consignment")
                self.rail.add(code)
                if rng.random() < 0.012:
                    self.later(received_at + timedelta(days=20, hours=-1), "reprice", code)
            entry["items"] = items
            if kind != "consignment" and rng.random() < 0.08:
                category, description = rng.choice(LOTS)
                code = self.new_code()
                quantity = rng.randint(20, 60)
                price = rng.choice([10_000, 15_000, 20_000])
                entry["lots"] = [
                    {
                        "code": code,
                        "category": category,
                        "description": description,
                        "quantity": quantity,
                        "price_dong": price,
                    }
                ]
                self.stock[code] = _Stock(
                    code, price, received_at, day, False, lot=True, on_hand=quantity
                )
                self.lots.append(code)
            self.intakes.append(entry)

    def put_back(self, code: str, quantity: int) -> None:
        stock = self.stock[code]
        if stock.lot:
            stock.on_hand += quantity
            if stock.on_hand == quantity:
                self.lots.append(code)
        else:
            stock.in_stock = True
            self.rail.add(code)

    def reprice(self, at: datetime, code: str) -> None:
        stock = self.stock[code]
        if not stock.in_stock or stock.price <= 15_000:
            return
        new = max(10_000, stock.price - 10_000)
        self.price_changes.append(
            {
                "code": code,
                "at": _text(at),
                "price_dong": new,
                "by": self.rng.choice([1, 2]),
                "reason": "bán chậm",
            }
        )
        stock.price = new

    def clearance(self, day: date) -> None:
        """Monday morning: what has been on the rail for 120 days leaves it."""
        limit = day - timedelta(days=120)
        at = _at(day, 7 * 3600)
        old = sorted(c for c in self.rail.codes if self.stock[c].received_on <= limit)
        for index, code in enumerate(old):
            stock = self.stock[code]
            self.rail.remove(code)
            stock.in_stock = False
            self.disposals.append(
                {
                    "code": code,
                    "at": _text(at + timedelta(seconds=index)),
                    "kind": "returned_to_owner" if stock.consigned else "donated_onward",
                    "by": 1,
                    "note": "quá 120 ngày",
                }
            )

    # ------------------------------------------------------------------ the counter

    def take(self, code: str, quantity: int) -> None:
        stock = self.stock[code]
        if stock.lot:
            stock.on_hand -= quantity
            if stock.on_hand == 0:
                self.lots.remove(code)
        else:
            stock.in_stock = False
            self.rail.remove(code)

    def sell(self, shift: _Shift, at: datetime, day: date) -> None:
        rng = self.rng
        self.catch_up(at)
        wanted = rng.choices([1, 2, 3, 4], [85, 11, 3, 1])[0]
        lines = []
        for _ in range(wanted):
            if self.lots and rng.random() < 0.06:
                code = rng.choice(self.lots)
                if any(line["code"] == code for line in lines):
                    continue
                stock = self.stock[code]
                quantity = min(stock.on_hand, rng.choice([1, 1, 2, 3]))
            elif len(self.rail):
                code = self.rail.codes[rng.randrange(len(self.rail))]
                stock, quantity = self.stock[code], 1
            else:
                continue
            if stock.received_at >= at:
                continue
            unit = effective_price(
                stock.price, days_in_stock(stock.received_on, day), DEFAULT_MARKDOWN
            )
            line = {"code": code}
            if quantity != 1:
                line["quantity"] = quantity
            line["unit_price_dong"] = unit
            if rng.random() < 0.04 and unit >= 20_000:
                line["discount_dong"] = min(
                    unit // 2 // 1000 * 1000, rng.choice([5, 10, 20]) * 1000
                )
                line["discount_reason"] = rng.choice(LINE_REASONS)
            lines.append(line)
            self.take(code, quantity)
        if not lines:
            return
        sale_lines = [
            Line(line["unit_price_dong"], line.get("quantity", 1), line.get("discount_dong", 0))
            for line in lines
        ]
        entry: dict = {"number": len(self.sales) + 1, "at": _text(at), "cashier": shift.member}
        entry["lines"] = lines
        before = totals(sale_lines).total_dong
        if rng.random() < 0.05 and before >= 50_000:
            entry["discount_dong"] = min(
                before // 3 // 1000 * 1000, rng.choice([5, 10, 20, 30]) * 1000
            )
            entry["discount_reason"] = rng.choice(SALE_REASONS)
        result = totals(sale_lines, entry.get("discount_dong", 0))
        total = result.total_dong
        roll = rng.random()
        if roll < 0.70 or total < 20_000:
            cash = total
        elif roll < 0.95:
            cash = 0
        else:
            cash = total // 2 // 1000 * 1000
        transfer = total - cash
        payments = []
        if cash > 0 or total == 0:
            step = rng.choice([10_000, 50_000, 100_000, 500_000])
            tendered = -(-cash // step) * step if rng.random() < 0.7 else cash
            payment(total, transfer_dong=transfer, tendered_dong=tendered)  # sound, or raises
            payments.append({"method": "cash", "amount_dong": cash, "tendered_dong": tendered})
        if transfer > 0:
            payments.append({"method": "transfer", "amount_dong": transfer})
        entry["payments"] = payments
        self.sales.append(entry)
        nets = result.nets
        if rng.random() < 0.006:
            void_at = at + timedelta(seconds=rng.randint(60, 900))
            if void_at < shift.closed_at:
                entry["void"] = {
                    "at": _text(void_at),
                    "by": shift.member,
                    "reason": rng.choice(VOID_REASONS),
                }
                for line in lines:
                    self.later(void_at, "back", (line["code"], line.get("quantity", 1)))
                return
        shift.cash += cash
        if rng.random() < 0.012:
            self.refund(entry, lines, nets, day, rng)

    def refund(self, sale: dict, lines: list[dict], nets, day: date, rng) -> None:
        later_day = day + timedelta(days=rng.randint(1, 7))
        if later_day > LAST_DAY:
            return
        shift = rng.choice(self.by_day[later_day])
        span = int((shift.closed_at - shift.opened_at).total_seconds())
        at = shift.opened_at + timedelta(seconds=rng.randint(120, span - 120))
        index = rng.randrange(len(lines))
        line, net = lines[index], nets[index]
        if net < 1000:
            return
        full = rng.random() < 0.7
        amount = net if full else max(1000, net // 2 // 1000 * 1000)
        restock = full and rng.random() < 0.8
        method = "cash" if rng.random() < 0.75 else "transfer"
        self.refunds.append(
            {
                "at": _text(at),
                "sale": sale["number"],
                "code": line["code"],
                "amount_dong": amount,
                "method": method,
                "by": shift.member,
                "reason": rng.choice(REFUND_REASONS),
                "restock": restock,
            }
        )
        if method == "cash":
            shift.cash -= amount
        if restock:
            self.later(at, "back", (line["code"], 1 if not self.stock[line["code"]].lot else 1))

    # ------------------------------------------------------------------ money spent

    def monthly_expenses(self, year: int, month: int) -> None:
        rng = self.rng
        first = date(year, month, 1)
        self.expenses += [
            {"on": first.isoformat(), "category": "rent", "amount_dong": 6_000_000,
             "note": "tiền thuê nhà", "by": 1},
            {"on": first.replace(day=10).isoformat(), "category": "utilities",
             "amount_dong": _money(rng, 600, 1400), "note": "tiền điện", "by": 1},
            {"on": first.replace(day=10).isoformat(), "category": "utilities",
             "amount_dong": _money(rng, 100, 250), "note": "tiền nước", "by": 2},
            {"on": first.replace(day=15).isoformat(), "category": "supplies",
             "amount_dong": _money(rng, 150, 600), "note": "túi nilon, móc treo", "by": 2},
        ]  # fmt: skip
        if rng.random() < 0.5:
            self.expenses.append(
                {"on": first.replace(day=20).isoformat(), "category": "transport",
                 "amount_dong": _money(rng, 100, 400), "note": "xe chở hàng", "by": 1}
            )  # fmt: skip

    # ------------------------------------------------------------------ the whole journal

    def build(self) -> dict:
        rng = self.rng
        self.make_members()
        donors = self.donors()
        self.plan_shifts()
        month_sales = self.month_sales()
        # Items per sale as at scale 1 (about 1.25), whatever the last month holds.
        items_per_sale = TOTAL_ITEMS / sum(Generator(1.0).month_sales().values())
        # Stock to start with: the shop opened with a month's worth on the rail.
        opening = round(month_sales[(2023, 1)] * items_per_sale)
        self.receive(FIRST_DAY - timedelta(days=7), opening, bought=False)
        for year, month in _months():
            self.monthly_expenses(year, month)
        day = FIRST_DAY
        carry = 0.0
        while day <= LAST_DAY:
            year, month = day.year, day.month
            wanted = month_sales[(year, month)] * _weight(day) / _month_weight(year, month) + carry
            count = int(wanted)
            carry = wanted - count
            if day.weekday() == 0:
                self.catch_up(_at(day, 7 * 3600))
                self.clearance(day)
            self.receive(day, max(0, round(count * items_per_sale * rng.uniform(0.8, 1.2))))
            moments = []
            for shift in self.by_day[day]:
                span = int((shift.closed_at - shift.opened_at).total_seconds())
                share = count // 2 + (count % 2 if shift is self.by_day[day][0] else 0)
                moments += [
                    (shift.opened_at + timedelta(seconds=rng.randint(60, span - 60)), shift)
                    for _ in range(share)
                ]
            moments.sort(key=lambda pair: pair[0])
            for at, shift in moments:
                self.sell(shift, at, day)
            day += timedelta(days=1)
        shifts = []
        for shift in self.shifts:
            expected = shift.float_dong + shift.cash
            counted = expected
            if rng.random() < 0.05:
                counted = max(0, expected + rng.choice([-20, -10, -5, -2, 2, 5]) * 1000)
            shifts.append(
                {
                    "member": shift.member,
                    "opened_at": _text(shift.opened_at),
                    "closed_at": _text(shift.closed_at),
                    "opening_float_dong": shift.float_dong,
                    "counted_cash_dong": counted,
                }
            )
        closed = [f"{y:04d}-{m:02d}" for y, m in _months()[:-1]]
        return {
            "format": "shop-journal",
            "version": 1,
            "shop": {
                "name": "NEW ME – Đồ cũ (benchmark)",
                "address": "123 Nghĩa Dũng, Ba Đình, Hà Nội",
                "currency": "VND",
                "timezone": "Asia/Ho_Chi_Minh",
                "locale": "vi",
                "bank": {"bin": "970415", "account": "113366668888", "account_name": "NHOM NEW ME"},
                "receipt_footer": "Cảm ơn chị! Đổi hàng trong 3 ngày.",
            },
            "policies": [
                {
                    "from_month": "2023-01",
                    "consignor_bp": 7000,
                    "reserve_bp": 1000,
                    "equal_bp": 5000,
                    "markdown": [
                        {"after_days": 30, "percent_off": 25},
                        {"after_days": 60, "percent_off": 50},
                    ],
                    "clearance_after_days": 90,
                },
            ],  # fmt: skip
            "members": self.members,
            "donors": donors,
            "intakes": self.intakes,
            "price_changes": sorted(self.price_changes, key=lambda e: e["at"]),
            "shifts": shifts,
            "sales": self.sales,
            "refunds": sorted(self.refunds, key=lambda e: e["at"]),
            "disposals": self.disposals,
            "expenses": sorted(self.expenses, key=lambda e: e["on"]),
            "closed_months": closed,
        }


def generate(scale: float = 1.0, seed: int = SEED, last_month_sales: int | None = None) -> dict:
    """The journal of a shop of ``scale`` (1: about 150,000 items and 120,000 sales);
    ``last_month_sales``: the last month's sales whatever the scale (the month the benchmark
    closes)."""
    return Generator(scale, seed, last_month_sales).build()


def summary(journal: dict) -> dict[str, int]:
    sales = journal["sales"]
    return {
        "members": len(journal["members"]),
        "intakes": len(journal["intakes"]),
        "items": sum(len(i.get("items", [])) for i in journal["intakes"]),
        "lots": sum(len(i.get("lots", [])) for i in journal["intakes"]),
        "shifts": len(journal["shifts"]),
        "sales": len(sales),
        "sale_lines": sum(len(s["lines"]) for s in sales),
        "voids": sum(1 for s in sales if "void" in s),
        "refunds": len(journal["refunds"]),
        "price_changes": len(journal["price_changes"]),
        "disposals": len(journal["disposals"]),
        "expenses": len(journal["expenses"]),
        "closed_months": len(journal["closed_months"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--last-month-sales", type=int, default=None)
    parser.add_argument("--out", default="-")
    parser.add_argument("--check", action="store_true", help="run check_journal on it")
    args = parser.parse_args(argv)
    journal = generate(args.scale, last_month_sales=args.last_month_sales)
    print(json.dumps(summary(journal)), file=sys.stderr)
    if args.check:
        from shop.journal.check import check_journal

        problems = check_journal(journal)
        for problem in problems[:50]:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        if problems:
            return 1
    text = json.dumps(journal, ensure_ascii=False, separators=(",", ":"))
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
