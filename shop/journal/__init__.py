"""The shop's journal: its whole history as one JSON file, to keep, move and check.

The format is ``journal.schema.json`` in this package ("shop-journal", version 1).
:func:`export_journal` writes the shop out (:func:`journal_text` gives its file's text),
:func:`check_journal` finds every problem in a file, :func:`import_journal` reads a sound
file into an empty shop through the services, and :func:`normalise_journal` puts a journal
in the form the export writes, for comparing.
"""

from shop.journal.check import check_journal
from shop.journal.export import export_journal
from shop.journal.importer import ImportSummary, import_journal
from shop.journal.normalise import normalise_journal
from shop.journal.problems import JournalError, JournalInvalid, Problem, ShopNotEmpty
from shop.journal.schema import journal_schema
from shop.journal.text import journal_text

__all__ = [
    "ImportSummary",
    "JournalError",
    "JournalInvalid",
    "Problem",
    "ShopNotEmpty",
    "check_journal",
    "export_journal",
    "import_journal",
    "journal_schema",
    "journal_text",
    "normalise_journal",
]
