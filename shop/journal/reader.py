"""A journal file read entry by entry, so that a history of years is never held whole.

``json.load`` of a 188 MB journal builds about 1.3 GB of Python objects before anything is
checked. :func:`read_journal` instead streams the file with ijson (its C parser, yajl2):
each list of the journal (members, intakes, sales …) is read one entry at a time and kept,
as compact JSON text, in a store on disk (a temporary SQLite file), and what the check and
the import get is a :class:`JournalFile`: a dict like the parsed journal, whose lists are
:class:`Section` objects that read their entries back from the store one at a time, each
time they are gone through. The small values (``format``, ``version``, ``shop``) are held
as they are.

The store also puts the history in order without holding it (:meth:`Store.in_order`): the
timeline writes each event's moment and place into it and reads them back sorted, each with
its entry.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, overload

import ijson

from shop.domain.text import MAX_JSON_DEPTH
from shop.journal.problems import JournalError, JournalInvalid, Problem, pointer
from shop.journal.schema import journal_schema

#: ``progress(done, total)``: bytes of the file gone through, of all of them.
Progress = Callable[[int, int], None]

#: Entries written to the store in one statement.
_CHUNK = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class NotJSON(JournalError):
    """The file is not JSON at all (or not UTF-8); the message says where it broke."""


def array_sections() -> tuple[str, ...]:
    """The journal's lists, in the schema's order: each is stored entry by entry."""
    properties = journal_schema()["properties"]
    return tuple(name for name, spec in properties.items() if spec.get("type") == "array")


class Store:
    """A temporary SQLite file holding a journal's entries as JSON text, by list and place."""

    def __init__(self, directory: str | None = None):
        self.directory = tempfile.mkdtemp(prefix="shop-journal-", dir=directory)
        self.connection = sqlite3.connect(os.path.join(self.directory, "entries.sqlite"))
        self.connection.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA temp_store = FILE;
            CREATE TABLE entry (
                section TEXT NOT NULL, idx INTEGER NOT NULL, body TEXT NOT NULL,
                PRIMARY KEY (section, idx)
            ) WITHOUT ROWID;
            """
        )
        # A sort is spilled to this folder too, not to the system's /tmp.
        self.connection.execute(f"PRAGMA temp_store_directory = '{self.directory}'")

    def add(self, section: str, entries: Iterable[object]) -> int:
        """Keep ``entries`` as ``section``'s, in order; how many there were."""
        count = 0
        rows: list[tuple[str, int, str]] = []
        for entry in entries:
            rows.append((section, count, _compact(entry)))
            count += 1
            if len(rows) == _CHUNK:
                self.connection.executemany("INSERT INTO entry VALUES (?, ?, ?)", rows)
                rows.clear()
        self.connection.executemany("INSERT INTO entry VALUES (?, ?, ?)", rows)
        return count

    def entries(self, section: str) -> Iterator[Any]:
        cursor = self.connection.execute(
            "SELECT body FROM entry WHERE section = ? ORDER BY idx", (section,)
        )
        for (body,) in cursor:
            yield json.loads(body)

    def entry(self, section: str, index: int) -> Any:
        row = self.connection.execute(
            "SELECT body FROM entry WHERE section = ? AND idx = ?", (section, index)
        ).fetchone()
        if row is None:
            raise IndexError(index)
        return json.loads(row[0])

    def set_order(self, keys: Iterable[tuple[datetime, int, int, str]]) -> int:
        """Keep ``(at, step, index, section)`` of each event, to be read back in order by
        :meth:`in_order`; how many there were. The keys of an earlier order are dropped."""
        connection = self.connection
        connection.execute("DROP TABLE IF EXISTS moment")
        connection.execute(
            "CREATE TABLE moment (at INTEGER, step INTEGER, idx INTEGER, section TEXT)"
        )
        count = 0
        rows: list[tuple[int, int, int, str]] = []
        for at, step, index, section in keys:
            rows.append((_microseconds(at), step, index, section))
            count += 1
            if len(rows) == _CHUNK:
                connection.executemany("INSERT INTO moment VALUES (?, ?, ?, ?)", rows)
                rows.clear()
        connection.executemany("INSERT INTO moment VALUES (?, ?, ?, ?)", rows)
        return count

    def in_order(self) -> Iterator[tuple[int, int, str, Any]]:
        """``(step, index, section, entry)`` of each event kept by :meth:`set_order`, by
        moment, then step, then index: the sort is SQLite's, on disk."""
        cursor = self.connection.execute(
            "SELECT m.step, m.idx, m.section, e.body FROM moment AS m"
            " JOIN entry AS e ON e.section = m.section AND e.idx = m.idx"
            " ORDER BY m.at, m.step, m.idx"
        )
        for step, index, section, body in cursor:
            yield step, index, section, json.loads(body)

    def close(self) -> None:
        self.connection.close()
        shutil.rmtree(self.directory, ignore_errors=True)


class Section(Sequence):
    """One list of a journal file: its entries read back from the store as they are needed.

    Each time it is gone through, every entry is parsed again (a new dict): nothing of the
    list stays in memory between two passes.
    """

    def __init__(self, store: Store, name: str, length: int):
        self.store, self.name, self.length = store, name, length

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[Any]:
        return self.store.entries(self.name)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.length))]
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(index)
        return self.store.entry(self.name, index)

    def __repr__(self) -> str:
        return f"<Section {self.name}: {self.length} entries>"


class JournalFile(dict):
    """A journal read from a file: the parsed journal's keys, its lists as :class:`Section`.

    Close it (or use it in a ``with`` block) to delete the store.
    """

    def __init__(self, store: Store):
        super().__init__()
        self.store = store

    def __enter__(self) -> JournalFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()


def is_list(value: object) -> bool:
    """Whether ``value`` is a journal's list: parsed JSON, or a :class:`Section` of a file."""
    return isinstance(value, list | Section)


def read_journal(
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    directory: str | None = None,
) -> JournalFile:
    """The journal in the file at ``path``, its lists kept on disk (see the module's text).

    Raises :class:`NotJSON` if the file is not JSON in UTF-8, and :class:`JournalInvalid`
    if it is not an object, if one of its keys appears twice (JSON would keep only the
    last) or if it nests deeper than :data:`~shop.domain.text.MAX_JSON_DEPTH` (found on the
    first pass, before anything is built of it: ijson's builder would take gigabytes).
    ``directory`` is where the store goes (the system's temporary folder unless given); it
    takes about the file's size.

    The file is gone through once for its keys and once for each list in it (the C parser
    reads well over 100 MB a second); ``progress(done, total)`` is called with the bytes
    gone through of all the passes.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        if progress is not None:  # the passes a journal with every list would take
            progress(0, size * (1 + len(array_sections())))
        kinds = _top_level(file)
        lists = [key for key, kind in kinds.items() if kind == "start_array"]
        stored = [key for key in array_sections() if key in lists]
        total = size * (1 + len(stored))
        done = size
        if progress is not None:
            progress(done, total)
        journal = JournalFile(Store(directory))
        try:
            for key in kinds:
                if key in stored:
                    continue
                if key in journal_schema()["properties"]:
                    file.seek(0)
                    journal[key] = _value(file, key)
                else:
                    journal[key] = None  # unknown: the schema names the key, not its value
            for key in stored:
                file.seek(0)
                items = _entries(file, key, done, size, total, progress)
                journal[key] = Section(journal.store, key, journal.store.add(key, items))
                done += size
        except BaseException:
            journal.close()
            raise
        if progress is not None:
            progress(total, total)
        return _ordered(journal, kinds)


def _top_level(file: IO[bytes]) -> dict[str, str]:
    """Each top-level key and the event its value starts with (``start_array``,
    ``start_map``, or the scalar's type), in the file's order."""
    kinds: dict[str, str] = {}
    depth = 0
    key: str | None = None
    try:
        for event, value in ijson.basic_parse(file, use_float=True):
            if depth == 0 and event != "start_map":
                raise JournalInvalid(
                    [Problem("", "The file is not a JSON object, so it is not a journal.")]
                )
            if event in ("start_map", "start_array"):
                if depth == 1:
                    kinds[_once(kinds, key)] = event
                depth += 1
                if depth > MAX_JSON_DEPTH:  # before anything is built of it
                    raise JournalInvalid(
                        [
                            Problem(
                                pointer(key or ""),
                                f"This nests lists and objects deeper than {MAX_JSON_DEPTH}.",
                            )
                        ]
                    )
            elif event in ("end_map", "end_array"):
                depth -= 1
            elif depth == 1:
                if event == "map_key":
                    key = value
                else:
                    kinds[_once(kinds, key)] = event
    except ijson.JSONError as error:
        raise NotJSON(_said(error)) from None
    except UnicodeDecodeError as error:
        raise NotJSON(f"it is not UTF-8 text ({error.reason} at byte {error.start})") from None
    return kinds


def _once(kinds: dict[str, str], key: str | None) -> str:
    assert key is not None
    if key in kinds:
        raise JournalInvalid(
            [Problem(pointer(key), f"{key} appears more than once in the file; keep one.")]
        )
    return key


def _value(file: IO[bytes], key: str) -> Any:
    for value in ijson.items(file, key, use_float=True):
        return value
    return None


def _entries(
    file: IO[bytes], key: str, done: int, size: int, total: int, progress: Progress | None
) -> Iterator[Any]:
    for index, entry in enumerate(ijson.items(file, f"{key}.item", use_float=True)):
        if progress is not None and index % 1000 == 0:
            progress(done + min(file.tell(), size), total)
        yield entry


def _ordered(journal: JournalFile, kinds: dict[str, str]) -> JournalFile:
    """The keys in the file's order, as ``json.load`` gives them."""
    values = {key: journal[key] for key in kinds}
    journal.clear()
    journal.update(values)
    return journal


def _compact(entry: object) -> str:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def _microseconds(at: datetime) -> int:
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _said(error: Exception) -> str:
    return str(error).strip() or type(error).__name__


def copy_to_file(stream: IO[bytes], directory: str | None = None) -> Path:
    """``stream`` (standard input, say) copied to a temporary file, which the caller
    deletes: the file is read more than once."""
    handle, name = tempfile.mkstemp(prefix="shop-journal-", suffix=".json", dir=directory)
    with os.fdopen(handle, "wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    return Path(name)
