"""The package build: what pyproject.toml declares, plus the files the app reads at run time.

The repository keeps ``templates/``, ``static/`` (fonts and vendored scripts with their
licences) and ``migrations/`` at its top, beside ``shop/``. A wheel carries them inside the
package (``shop/templates``, ...), where :mod:`shop.files` looks first. The message
catalogues are compiled here, ``.po`` to ``.mo``, so that an installed shop speaks
Vietnamese without ``make``; the ``.mo`` files are never committed nor put in the sdist.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: Folders at the repository's top that the installed app needs, copied into the package.
APP_FOLDERS = ("templates", "static", "migrations")
CATALOGUES = Path("shop") / "translations"


def _catalogues() -> list[tuple[Path, Path]]:
    """Each ``.po`` catalogue with its ``.mo`` path, relative to the project folder."""
    return [(po, po.with_suffix(".mo")) for po in sorted(CATALOGUES.glob("*/LC_MESSAGES/*.po"))]


def _app_files() -> list[Path]:
    return [
        path
        for folder in APP_FOLDERS
        for path in sorted(Path(folder).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    ]


def compile_catalogue(po: Path, mo: Path) -> None:
    """Compile one catalogue as ``pybabel compile`` does; fuzzy entries stay untranslated."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalogue = read_po(source, locale=po.parts[-3])
    if catalogue.fuzzy:
        raise SystemExit(f"{po} is marked fuzzy as a whole: it would not be compiled")
    mo.parent.mkdir(parents=True, exist_ok=True)
    with mo.open("wb") as target:
        write_mo(target, catalogue)


class BuildWithAppFiles(build_py):
    """``build_py`` that also compiles the catalogues and copies the app's folders."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            # An editable install reads templates, static files and migrations where they
            # are; only the compiled catalogues are missing, so they are made in place,
            # beside their .po (as `make translations` does), and `pip install -e .` alone
            # gives Vietnamese. Compiling at the app's start instead would write into the
            # installed package, which may be read-only, on every server start.
            for po, mo in _catalogues():
                compile_catalogue(po, mo)
            return
        for po, mo in _catalogues():
            compile_catalogue(po, Path(self.build_lib) / mo)
        package = Path(self.build_lib) / "shop"
        for path in _app_files():
            (package / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, package / path)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return super().get_outputs(include_bytecode) + list(self._more_outputs())

    def get_output_mapping(self) -> dict[str, str]:
        return {**super().get_output_mapping(), **self._more_outputs()}

    def _more_outputs(self) -> dict[str, str]:
        """Built file → where it comes from (an in-place catalogue comes from itself)."""
        if self.editable_mode:
            return {str(mo): str(mo) for _po, mo in _catalogues()}
        build = Path(self.build_lib)
        outputs = {str(build / mo): str(po) for po, mo in _catalogues()}
        outputs.update({str(build / "shop" / path): str(path) for path in _app_files()})
        return outputs


setup(cmdclass={"build_py": BuildWithAppFiles})
