"""The shop as ``deploy/`` installs it on its own machine: gunicorn started as
``deploy/shop.service`` starts it, Caddy with ``deploy/Caddyfile.shop`` in front (its own
certificate authority, ``tls internal``), a phone-sized Chromium that trusts Caddy's root and
reaches the shop by its name over HTTPS.

Nothing of the machine is touched: the instance folder, Caddy's data (its CA) and the browser
are in tmp_path, the ports are free ones, and the name ``newme.local`` is mapped to 127.0.0.1
inside Chromium (``--host-resolver-rules``), as avahi maps it on the shop's Wi-Fi. Chromium
trusts the root the way a phone does once the shop's certificate is installed: only that
root's key is accepted (``--ignore-certificate-errors-spki-list``), not any certificate.
"""

from __future__ import annotations

import http.client
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reliability.chromium import ARGS as CHROMIUM_ARGS
from reliability.chromium import CHROMIUM
from tests.conftest import IN_CI

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
NAME = "newme.local"

pytestmark = pytest.mark.browser


def _missing() -> str | None:
    if not shutil.which("caddy"):
        return "Caddy is not installed (apt-get install caddy; make system-packages does it)"
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if not shutil.which("certutil"):
        return "certutil is not installed (apt-get install libnss3-tools)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unit() -> tuple[dict[str, str], list[str]]:
    """``shop.service``'s Environment= settings and its ExecStart, as systemd reads them."""
    environment, command = {}, None
    for line in (DEPLOY / "shop.service").read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "Environment":
            name, _, setting = value.partition("=")
            environment[name] = setting
        elif key == "ExecStart":
            command = value
    assert command, "shop.service has no ExecStart"
    return environment, shlex.split(command)


def _env_file() -> dict[str, str]:
    """The settings ``deploy/shop.env`` gives every shop (the install script fills the key)."""
    settings = {}
    for line in (DEPLOY / "shop.env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings[name] = value
    return settings


def _wait_for(check, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {what} after {seconds} s")


def _listening(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), 1):
        return True


def _ask(port, method, path, headers=None, *, body=None, root=None):
    """One request to 127.0.0.1:``port`` by the shop's name, over HTTPS trusting ``root``
    alone when it is given; the answer with its ``body`` read."""
    connection_class = http.client.HTTPSConnection if root else http.client.HTTPConnection
    connection = connection_class(NAME, port, timeout=10)
    raw = socket.create_connection(("127.0.0.1", port), 10)
    if root:
        tls = ssl.create_default_context(cafile=str(root))
        raw = tls.wrap_socket(raw, server_hostname=NAME)
    connection.sock = raw
    headers = {"Host": f"{NAME}:{port}", **(headers or {})}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.body = answer.read()
        return answer
    finally:
        connection.close()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()]


def _trusting_home(home: Path, root: Path) -> str:
    """A home folder whose NSS database (Chromium's on Linux) trusts ``root`` to name web
    sites, and nothing else of its own: as a phone does once the shop's certificate is in."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    database = f"sql:{nssdb}"
    subprocess.run(["certutil", "-N", "-d", database, "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", database, "-n", "shop", "-t", "C,,", "-i", str(root)],
        check=True,
    )
    return str(home)


#: The hosted Caddyfile as a test runs it: its public name served with certificates from
#: Caddy's own CA (``local_certs``) in place of Let's Encrypt, on free ports.
HOSTED_TEST_OPTIONS = """{
\thttp_port {$SHOP_HTTP_PORT}
\thttps_port {$SHOP_HTTPS_PORT}
\tadmin {$SHOP_CADDY_ADMIN}
\tlocal_certs
\tskip_install_trust
}
"""


@pytest.fixture(params=["shop", "hosted"])
def installed_shop(request, tmp_path):
    """gunicorn as the unit runs it and Caddy as ``deploy/Caddyfile.<param>`` says (in the
    shop: its own CA for ``newme.local``; hosted: a public name), both stopped after."""
    reason = _missing()
    if reason:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    app_port, http_port, https_port, admin_port = (_free_port() for _ in range(4))
    environment, command = _unit()
    environment.update(_env_file())
    environment.update(
        SECRET_KEY="a test key of the installed shop",
        SHOP_INSTANCE_PATH=str(tmp_path / "instance"),
        SHOP_BIND=f"127.0.0.1:{app_port}",
        PRINT_WORKER="thread",
    )
    # The unit's command with its ${…} filled as systemd fills them, from this test's venv.
    command = [re.sub(r"\$\{(\w+)\}", lambda m: environment[m.group(1)], arg) for arg in command]
    assert command[0] == "/srv/shop/venv/bin/gunicorn"
    command[0] = str(Path(sys.executable).parent / "gunicorn")
    workdir = tmp_path / "var-lib-shop"  # WorkingDirectory: no gunicorn.conf.py in it
    workdir.mkdir()
    env = {**os.environ, **environment}
    env.pop("DATABASE_URL", None)
    logs = tmp_path / "logs"
    logs.mkdir()
    with (
        (logs / "gunicorn.log").open("wb") as gunicorn_log,
        (logs / "caddy.log").open("wb") as caddy_log,
    ):
        gunicorn = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=gunicorn_log,
            stderr=subprocess.STDOUT,
        )
        caddyfile = DEPLOY / f"Caddyfile.{request.param}"
        if request.param == "hosted":
            caddyfile = tmp_path / "Caddyfile.hosted"
            caddyfile.write_text(HOSTED_TEST_OPTIONS + (DEPLOY / "Caddyfile.hosted").read_text())
        caddy_data = tmp_path / "caddy-data"
        caddy_env = {
            **os.environ,
            "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(caddy_data),
            "XDG_CONFIG_HOME": str(tmp_path / "caddy-config"),
            "SHOP_HOSTNAME": NAME,
            "SHOP_DOMAIN": NAME,
            "SHOP_LAN_IP": "127.0.0.1",
            "SHOP_HTTP_PORT": str(http_port),
            "SHOP_HTTPS_PORT": str(https_port),
            "SHOP_CADDY_ADMIN": f"localhost:{admin_port}",
            "SHOP_BIND": environment["SHOP_BIND"],
            "SHOP_CA_DIR": str(caddy_data / "caddy/pki/authorities/local"),
        }
        caddy = subprocess.Popen(
            ["caddy", "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
            cwd=tmp_path,
            env=caddy_env,
            stdout=caddy_log,
            stderr=subprocess.STDOUT,
        )
        try:
            root = caddy_data / "caddy/pki/authorities/local/root.crt"
            _wait_for(root.exists, "Caddy root certificate")
            _wait_for(lambda: _listening(https_port), "Caddy")
            _wait_for(lambda: _listening(app_port), "gunicorn", 90)
            yield {
                "kind": request.param,
                "gunicorn": gunicorn,
                "root": root,
                "base": f"https://{NAME}:{https_port}",
                "http": f"http://{NAME}:{http_port}",
                "http_port": http_port,
                "https_port": https_port,
                "logs": logs,
            }
        finally:
            for process in (caddy, gunicorn):
                process.terminate()
            for process in (caddy, gunicorn):
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def test_a_phone_reaches_the_installed_shop_by_name_over_https(
    installed_shop, tmp_path, playwright_driver
):
    from tests.browser.conftest import screenshot

    shop = installed_shop
    base = shop["base"]
    args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {NAME} 127.0.0.1"]
    home = _trusting_home(tmp_path / "home", shop["root"])
    playwright = playwright_driver  # the process's one Playwright
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=args, env={**os.environ, "HOME": home}
    )
    context = chromium.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
    )
    # Every Content-Security-Policy violation on any page, the service worker's too.
    context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )

    # The first run, over HTTPS through Caddy: the form's CSRF check compares the
    # Referer with https://<host>, which holds only if X-Forwarded-Proto is trusted.
    page.goto(f"{base}/")
    assert page.url == f"{base}/setup"
    page.get_by_label("Tên cửa hàng").fill("NEW ME – Đồ cũ")
    page.get_by_label("Họ tên của chị").fill("Nguyễn Thị Hồng")
    page.get_by_label("Số điện thoại của chị").fill("0912000001")
    page.get_by_label("Chọn mã PIN").fill("2468")
    page.get_by_role("button", name="Tạo cửa hàng").click()
    page.wait_for_url(f"{base}/members/")
    session = next(c for c in context.cookies() if c["name"] == "session")
    assert session["secure"] and session["httpOnly"]

    # A form sent from another site with a stolen token is refused ("this form has
    # expired", 303): Flask-WTF's strict Referer check runs only on a request that counts
    # as HTTPS behind Caddy. From the shop's own page the check passes and /setup
    # answers 404, as it does once the shop exists.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    cookie = f"session={session['value']}"
    for referer, status in (("https://elsewhere.example/", 303), (f"{base}/members/", 404)):
        answer = _ask(
            shop["https_port"],
            "POST",
            "/setup",
            {"Referer": referer, "Cookie": cookie},
            body=f"csrf_token={token}",
            root=shop["root"],
        )
        assert answer.status == status, (referer, answer.status)

    page.goto(f"{base}/counter/")
    if page.locator("#code").count() == 0:
        page.get_by_label("Tiền đầu ca").fill("500k")
        page.get_by_role("button", name="Mở ca").click()
        page.wait_for_url(f"{base}/counter/")
    page.wait_for_selector("#code")
    # The point of HTTPS on the Wi-Fi: the offline counter's service worker runs.
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope == f"{base}/counter/"
    assert page.evaluate("window.isSecureContext")
    page.reload()
    page.wait_for_selector("#code")
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    assert page.evaluate("window.__csp") == []
    assert errors == []
    screenshot(page, f"counter-https-{shop['kind']}-360")

    # A worker killed outright: the other answers, and the master starts a new one.
    master = shop["gunicorn"].pid
    workers = _children(master)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    response = page.goto(f"{base}/counter/")
    assert response.status == 200
    page.wait_for_selector("#code")
    renewed = _wait_for(
        lambda: (now := _children(master)) and len(now) == 2 and workers[0] not in now and now,
        "new gunicorn worker",
    )
    assert workers[1] in renewed
    for _ in range(4):  # each worker answers, the new one too
        assert page.goto(f"{base}/counter/").status == 200
    context.close()
    chromium.close()

    if shop["kind"] == "hosted":
        answer = _ask(shop["https_port"], "GET", "/sign-in", root=shop["root"])
        assert answer.getheader("Strict-Transport-Security") == "max-age=31536000"
        return
    # Plain HTTP gives only the root certificate (for the phones) and a redirect to HTTPS.
    answer = _ask(shop["http_port"], "GET", "/counter/")
    assert answer.status == 301
    assert answer.getheader("Location") == f"https://{NAME}:{shop['https_port']}/counter/"
    answer = _ask(shop["http_port"], "GET", "/shop-ca.crt")
    assert answer.status == 200
    assert answer.getheader("Content-Type") == "application/x-x509-ca-cert"
    assert answer.body == shop["root"].read_bytes()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is missing")
def test_the_unit_passes_systemd_analyze(tmp_path):
    """``systemd-analyze verify`` on the unit, its gunicorn path pointed at this venv's."""
    unit = tmp_path / "shop.service"
    unit.write_text(
        (DEPLOY / "shop.service")
        .read_text()
        .replace("/srv/shop/venv/bin/gunicorn", str(Path(sys.executable).parent / "gunicorn"))
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    problems = [line for line in result.stderr.splitlines() if "shop.service" in line]
    assert result.returncode == 0 and problems == [], result.stderr


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is missing")
def test_the_watchdog_units_pass_systemd_analyze(tmp_path):
    for name in ("shop-health.service", "shop-health.timer"):
        (tmp_path / name).write_text((DEPLOY / name).read_text())
    (tmp_path / "shop.service").write_text(
        (DEPLOY / "shop.service")
        .read_text()
        .replace("/srv/shop/venv/bin/gunicorn", str(Path(sys.executable).parent / "gunicorn"))
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "shop-health.timer"),
         str(tmp_path / "shop-health.service")],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    problems = [line for line in result.stderr.splitlines() if "shop-health" in line]
    assert result.returncode == 0 and problems == [], result.stderr


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is missing")
def test_the_watchdog_restarts_the_shop_only_when_it_does_not_answer(tmp_path):
    """shop-health.service's own command, as systemd runs it (``%%`` is ``%``), with a
    stand-in for systemctl that writes down what it was asked: no answer on the port →
    ``restart shop.service``; a 503 → said, not restarted; a 200 → nothing."""
    import http.server
    import re
    import threading

    unit = (DEPLOY / "shop-health.service").read_text()
    body = re.search(r"ExecStart=/bin/sh -c '(.*?)'\n", unit, re.S).group(1)
    script = body.replace("\\\n", "\n").replace("%%", "%")
    calls = tmp_path / "calls"
    fake = tmp_path / "systemctl"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    fake.chmod(0o755)
    script = script.replace("/bin/systemctl", str(fake))

    def run(bind: str) -> str:
        done = subprocess.run(
            ["/bin/sh", "-c", script], env={**os.environ, "SHOP_BIND": bind},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        idle = probe.getsockname()[1]
    said = run(f"127.0.0.1:{idle}")
    assert "restarting it" in said and calls.read_text() == "restart shop.service\n"

    status = {"code": 503}

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the server's name for it
            assert self.path == "/healthz"
            self.send_response(status["code"])
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        bind = f"127.0.0.1:{server.server_port}"
        assert "the shop answers 503" in run(bind)
        status["code"] = 200
        assert run(bind) == ""
    finally:
        server.shutdown()
        server.server_close()
    assert calls.read_text() == "restart shop.service\n"  # the one restart, with no answer
