"""What is wrong with a journal, said as a place in the file and a sentence about it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a journal.

    ``path`` is a JSON Pointer (RFC 6901) to the value at fault, such as
    ``"/intakes/3/items/0/code"``; ``""`` is the whole file. ``message`` is a plain English
    sentence that names the offending value.
    """

    path: str
    message: str

    def __str__(self) -> str:
        # "/" stands for the whole file on screen: an empty path before the colon reads badly.
        return f"{self.path or '/'}: {self.message}"


class JournalError(Exception):
    """A journal cannot be exported or imported; the message says why."""


class ShopNotEmpty(JournalError):
    """A journal is only ever imported into a shop that has no history yet."""


class JournalInvalid(JournalError):
    """The journal breaks the schema or its own references; ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(f"the journal has {count} problem{'s' if count != 1 else ''}")


def pointer(*parts: str | int) -> str:
    """The JSON Pointer of ``parts``: ``pointer("intakes", 3, "ref")`` → ``"/intakes/3/ref"``.

    ``~`` and ``/`` inside a key are escaped as RFC 6901 says (``~0``, ``~1``).
    """
    return "".join("/" + _escaped(part) for part in parts)


def _escaped(part: str | int) -> str:
    text = str(part)
    return text.replace("~", "~0").replace("/", "~1") if "~" in text or "/" in text else text


def child(path: str, *parts: str | int) -> str:
    """``path`` extended by ``parts`` (each escaped as in :func:`pointer`)."""
    return path + pointer(*parts)
