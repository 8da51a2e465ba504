"""Where the app's own files are: templates, static files (fonts among them), migrations.

A checkout of the repository, and a shop installed from it with ``pip install -e .``, keep
them at the repository's top beside ``shop/``. A wheel carries them inside the package
(``setup.py`` copies them there), and that is looked at first: above an installed package
is ``site-packages``, where a ``migrations/`` folder would be somebody else's. The message
catalogues and the journal schema always live inside the package.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
_FOLDERS = ("templates", "static", "migrations")


def _root() -> Path:
    for root in (PACKAGE, PACKAGE.parent):
        if all((root / folder).is_dir() for folder in _FOLDERS):
            return root
    raise RuntimeError(
        f"the shop's templates, static files and migrations are neither in {PACKAGE} nor "
        f"beside it: install it from a wheel built with its setup.py, or run it from a checkout"
    )


#: The folder that holds templates/, static/ and migrations/.
ROOT = _root()
#: True when running from the repository (a checkout or an editable install).
FROM_REPOSITORY = PACKAGE.parent == ROOT
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
FONTS = STATIC / "fonts"
MIGRATIONS = ROOT / "migrations"
TRANSLATIONS = PACKAGE / "translations"
#: The instance folder when none is set: instance/ in a checkout. An installed shop has no
#: folder of its own to write in; Flask's default for it is <venv>/var/shop-instance, and a
#: real shop sets SHOP_INSTANCE_PATH.
DEFAULT_INSTANCE = ROOT / "instance" if FROM_REPOSITORY else None
