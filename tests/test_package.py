"""The shop as a package: a wheel built from the repository runs wherever it is installed.

The files git has (so no compiled catalogue and no build leftover of this checkout) are copied
into tmp_path and built with ``python -m build --no-isolation``: an sdist, then a wheel from
that sdist, as a release is made. Nothing is downloaded: the build requirements are in the
test extras. The wheel goes into a fresh venv whose dependencies come from this test run's
site-packages through a ``.pth`` line; from a folder outside the repository, with an instance
folder in tmp_path, the installed shop must migrate its database (``flask db upgrade`` and
``SHOP_MIGRATE_ON_START``), speak Vietnamese on a page and in an API error, serve a static
file and a font, and load the journal schema.

It runs on SQLite in both passes of ``make test`` (the PostgreSQL pass too): what it checks
is the package, not the database.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

#: Run by the fresh venv's python, outside the repository: the installed shop, started as a
#: server starts it (settings from the environment), answers through its test client.
PROBE = """
import json, sqlite3
from pathlib import Path

from alembic.script import ScriptDirectory

import shop
from shop import create_app
from shop.journal.schema import journal_schema

app = create_app()
client = app.test_client()
setup = client.get("/sign-in", follow_redirects=True)  # an empty shop: the first-run page
api = client.get("/api/v1/members")
css = client.get("/static/css/shop.css")
font = client.get("/static/fonts/DejaVuSans.ttf")
database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
with sqlite3.connect(database) as connection:
    revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
migrations = app.extensions["migrate"].directory
print(json.dumps({
    "package": shop.__file__,
    "migrations": migrations,
    "heads": list(ScriptDirectory(migrations).get_heads()),
    "revision": revision,
    "setup": [setup.status_code, setup.request.path, setup.get_data(as_text=True)],
    "api": [api.status_code, api.content_type, api.get_json()],
    "css": [css.status_code, len(css.get_data())],
    "font": [font.status_code, font.get_data()[:4].hex(), len(font.get_data())],
    "schema": journal_schema().get("title"),
}))
for response in (setup, api, css, font):
    response.close()
"""


def _copy_of_the_repository(target: Path) -> Path:
    """The files git tracks or would track (ignored ones left out), copied into ``target``."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the wheel is built from the files git has")
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the work tree is left out
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, **kwargs)
    shown = " ".join("PROBE" if part == PROBE else str(part) for part in command)
    assert result.returncode == 0, f"{shown} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _shop_environment(instance: Path, **settings: str) -> dict:
    """This process's environment without any shop or database setting, then ``settings``."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SHOP_", "FLASK_", "PYTHON"))
        and key not in ("DATABASE_URL", "SECRET_KEY")
    }
    environment.update(SHOP_INSTANCE_PATH=str(instance), **settings)
    return environment


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel built from a copy of the repository, and the python of a
    fresh venv with the wheel installed: made once per run, however many xdist workers."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent / "package"  # this run's, all workers'
    else:
        shared = tmp_path_factory.getbasetemp() / "package"
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds; the others wait for it
        if not (shared / "done").exists():
            _build_and_install(shared)
            (shared / "done").touch()
    dist = shared / "dist"
    (sdist,) = dist.glob("shop-*.tar.gz")
    (wheel,) = dist.glob("shop-*.whl")
    return {"sdist": sdist, "wheel": wheel, "python": shared / "venv" / "bin" / "python"}


def _build_and_install(base: Path) -> None:
    source = _copy_of_the_repository(base / "source")
    dist = base / "dist"
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)])
    (wheel,) = dist.glob("shop-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q"]
        + ["--no-index", str(wheel)]
    )
    purelib = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    # The dependencies from this run's site-packages, after the venv's own: a plain path
    # line, so that the editable install of the repository found there is never activated.
    (purelib / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


def test_the_sdist_carries_the_sources_and_no_compiled_catalogue(package):
    with tarfile.open(package["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for needed in (
        "setup.py",
        "migrations/env.py",
        "migrations/versions/0001_members_sign_in_and_api_tokens.py",
        "templates/auth/sign_in.html",
        "static/fonts/DejaVuSans.ttf",
        "static/vendor/qrcode-generator/LICENSE",
        "shop/translations/vi/LC_MESSAGES/messages.po",
        "shop/journal/journal.schema.json",
    ):
        assert needed in names
    assert not [name for name in names if name.endswith(".mo")]


def test_the_wheel_carries_the_app_files_and_the_compiled_catalogues(package):
    with zipfile.ZipFile(package["wheel"]) as wheel:
        names = set(wheel.namelist())
    for needed in (
        "shop/migrations/env.py",
        "shop/migrations/alembic.ini",
        "shop/migrations/script.py.mako",
        "shop/migrations/versions/0001_members_sign_in_and_api_tokens.py",
        "shop/templates/auth/sign_in.html",
        "shop/static/css/shop.css",
        "shop/static/fonts/DejaVuSans.ttf",
        "shop/static/fonts/LICENSE-DejaVu.txt",
        "shop/static/vendor/qrcode-generator/qrcode.mjs",
        "shop/static/vendor/qrcode-generator/LICENSE",
        "shop/translations/vi/LC_MESSAGES/messages.mo",
        "shop/journal/journal.schema.json",
        "shop/journal/examples/trial-3-months.json",
    ):
        assert needed in names
    assert not [name for name in names if name.startswith(("migrations/", "tests/"))]


def test_flask_db_upgrade_finds_the_migrations_in_the_installed_wheel(package, tmp_path):
    installed = package["python"]
    instance = tmp_path / "instance"
    environment = _shop_environment(instance, SHOP_MIGRATE_ON_START="false")
    _run(
        [str(installed), "-m", "flask", "--app", "shop:create_app", "db", "upgrade"],
        cwd=tmp_path,
        env=environment,
    )
    heads = _run(
        [str(installed), "-m", "flask", "--app", "shop:create_app", "db", "heads"],
        cwd=tmp_path,
        env=environment,
    ).stdout
    current = _run(
        [str(installed), "-m", "flask", "--app", "shop:create_app", "db", "current"],
        cwd=tmp_path,
        env=environment,
    ).stdout
    head = heads.split()[0]
    assert f"{head} (head)" in current
    assert (instance / "shop.sqlite3").is_file()


def test_the_installed_wheel_starts_migrated_in_vietnamese_with_its_files(package, tmp_path):
    installed = package["python"]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    instance = tmp_path / "instance"
    answer = json.loads(
        _run(
            [str(installed), "-c", PROBE],
            cwd=outside,
            env=_shop_environment(instance, SHOP_MIGRATE_ON_START="true"),
        ).stdout.splitlines()[-1]
    )

    imported = Path(answer["package"])  # shop/__init__.py as the probe imported it
    assert REPO not in imported.parents
    assert installed.parent.parent in imported.parents
    assert imported.parent in Path(answer["migrations"]).parents
    assert [answer["revision"]] == answer["heads"]
    status, path, page = answer["setup"]
    assert (status, path) == (200, "/setup")
    assert 'lang="vi"' in page
    assert "Thiết lập cửa hàng" in page  # "Set up the shop"
    status, content_type, error = answer["api"]
    assert (status, content_type) == (401, "application/json")
    assert "đăng nhập" in json.dumps(error, ensure_ascii=False)
    assert answer["css"][0] == 200 and answer["css"][1] > 0
    status, magic, size = answer["font"]
    assert (status, magic) == (200, "00010000")  # a TrueType font
    assert size == (REPO / "static" / "fonts" / "DejaVuSans.ttf").stat().st_size
    assert answer["schema"]
