"""One member reading or changing another's papers: statements, PINs, tokens, phones.

A plain member signed in on her phone, and a counter token of the member role, each try
every way at another member's private things: her statement of the month (page and PDF),
her PIN (the coordinator's reset page and the API), the API tokens, her phone number (in
the member list, her record and the journal export), her record. Each must be refused
(401, 403, 404 or a redirect to sign in) or, where the record itself is shared, come
without her phone. Then a PIN guessed again and again: from one address, the address is
locked after three wrong ones (even the right PIN is refused there) while she still signs
in from her own phone; from many addresses, her phone is locked after five. Runs
in-process on a shop made by :func:`reliability.live.fill_shop`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class AccessFigures:
    database: str
    attempted: int = 0  # cross-member reads and writes tried
    succeeded: int = 0  # … that got through (must be 0)
    pin_guesses: int = 0
    address_locked_after: int | None = None  # wrong PINs from one address until it locked
    owner_signs_in: bool = False  # … and she still signed in from her own phone
    locked_after: int | None = None  # wrong PINs from many addresses until her phone locked
    problems: list[str] = field(default_factory=list)


def run_access(app, shop, *, database: str) -> AccessFigures:
    app.config["PROPAGATE_UNEXPECTED"] = False
    app.config["WTF_CSRF_ENABLED"] = False  # the attempts are refused by role, not by CSRF
    figures = AccessFigures(database=database)
    plain = sorted(number for number in shop.pins if number != 1)
    me, other = plain[0], plain[1]
    with app.app_context():
        from shop import clock

        month = clock.today().strftime("%Y-%m")
    token = {"Authorization": f"Bearer {shop.cashiers[0][1]}"}  # member role
    other_phone = shop.phones[other]

    page = app.test_client()
    response = page.post("/sign-in", data={"phone": shop.phones[me], "pin": shop.pins[me]})
    if response.status_code != 303:
        figures.problems.append(f"member {me} could not sign in: {response.status_code}")
        return figures

    def attempt(client, method, path, *, leaks=None, **kwargs):
        """One try; it got through if it answered 2xx (and ``leaks`` says so, if given)."""
        figures.attempted += 1
        answer = getattr(client, method)(path, **kwargs)
        status = answer.status_code
        if status >= 500:
            figures.problems.append(f"{method.upper()} {path}: {status}")
        got_through = 200 <= status < 300 and (leaks is None or leaks(answer))
        if got_through:
            figures.succeeded += 1
            figures.problems.append(f"{method.upper()} {path} as a member: {status}")

    def shows_phone(answer) -> bool:
        return other_phone in answer.get_data(as_text=True)

    # Her page session: another member's statement, PIN, record, the tokens, the audit.
    for path in (
        f"/months/{month}/statements/{other}",
        f"/months/{month}/statements/{other}.pdf",
        f"/months/{month}/statements/1",
        f"/months/{month}/statements.pdf",
        f"/members/{other}/pin",
        f"/members/{other}/edit",
        "/members/tokens",
        f"/months/{month}/payouts",
        "/audit",
    ):
        attempt(page, "get", path)
    attempt(page, "post", f"/members/{other}/pin", data={"pin": "1111", "confirm_pin": "1111"})
    attempt(page, "post", f"/members/{other}/edit", data={"name": "X", "role": "coordinator"})
    attempt(page, "post", "/members/tokens", data={"name": "mine", "role": "coordinator"})
    attempt(page, "post", f"/switch/{other}", data={"pin": "0000"})
    attempt(page, "get", f"/api/v1/members/{other}", leaks=shows_phone)
    attempt(page, "get", "/api/v1/members", leaks=shows_phone)
    attempt(page, "get", "/api/v1/journal")
    attempt(page, "get", "/api/v1/tokens")
    attempt(page, "put", f"/api/v1/members/{other}/pin", json={"pin": "1111"})
    attempt(page, "post", "/api/v1/tokens", json={"name": "mine", "role": "member"})

    # A counter token of the member role.
    api = app.test_client()
    attempt(api, "get", f"/api/v1/members/{other}", headers=token, leaks=shows_phone)
    attempt(api, "get", "/api/v1/members", headers=token, leaks=shows_phone)
    attempt(api, "get", "/api/v1/journal", headers=token)
    attempt(api, "get", "/api/v1/tokens", headers=token)
    attempt(api, "post", "/api/v1/tokens", headers=token, json={"name": "x", "role": "member"})
    attempt(api, "delete", "/api/v1/tokens/1", headers=token)
    attempt(api, "put", f"/api/v1/members/{other}/pin", headers=token, json={"pin": "1111"})
    attempt(api, "patch", f"/api/v1/members/{other}", headers=token, json={"role": "member"})
    attempt(api, "post", "/api/v1/expenses", headers=token, json={})
    attempt(api, "get", f"/months/{month}/statements/{other}", headers=token)  # pages: no
    attempt(api, "get", "/api/v1/members", headers={"Authorization": "Bearer shop_guessed"})

    # Guessing a PIN from one device: that device (its address) is locked after its few
    # wrong PINs, not her phone: she still signs in from her own, and the stranger's device
    # is refused even the right PIN.
    victim, stranger = shop.phones[me], {"REMOTE_ADDR": "203.0.113.7"}
    guesser = app.test_client()

    def guess(client, number: int, where: dict):
        figures.pin_guesses += 1
        wrong = f"{(int(shop.pins[me]) + number) % 10000:04d}"
        return client.post("/sign-in", data={"phone": victim, "pin": wrong}, environ_base=where)

    figures.address_locked_after = _wrong_until_locked(lambda n: guess(guesser, n, stranger))
    right = {"phone": victim, "pin": shop.pins[me]}
    figures.pin_guesses += 2
    if guesser.post("/sign-in", data=right, environ_base=stranger).status_code == 303:
        figures.problems.append("the right PIN got in from the locked device")
    own = app.test_client().post("/sign-in", data=right, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    figures.owner_signs_in = own.status_code == 303
    if not figures.owner_signs_in:
        figures.problems.append(f"member {me} was locked out by one stranger: {own.status_code}")
    # Guessed from many addresses at once (one wrong PIN each), her phone itself is locked:
    # even her right PIN is refused, wherever it comes from.
    figures.locked_after = _wrong_until_locked(
        lambda n: guess(app.test_client(), n, {"REMOTE_ADDR": f"198.51.100.{n}"})
    )
    figures.pin_guesses += 1
    late = app.test_client().post("/sign-in", data=right, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    if late.status_code == 303:
        figures.problems.append("the right PIN got in after the phone was locked")
    return figures


def _wrong_until_locked(send, most: int = 30) -> int | None:
    """Send wrong PINs (``send(n)``, n = 1, 2, …) until one is answered "locked" (429);
    how many were sent, that one included, or ``None`` if none was."""
    for number in range(1, most + 1):
        if send(number).status_code == 429:
            return number
    return None
