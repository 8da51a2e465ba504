"""Text as people search for it: Vietnamese without its accents, in lower case."""

from __future__ import annotations

import unicodedata


def tidy(text: str | None, limit: int | None = None) -> str:
    """``text`` on one line, its runs of whitespace one space, cut at ``limit`` letters."""
    tidied = " ".join((text or "").split())
    return tidied if limit is None else tidied[:limit]


def fold(text: str) -> str:
    """Lower-case ``text`` and drop its diacritics, so "ao khoac" finds "Áo khoác".

    đ/Đ have no decomposition in Unicode and are mapped to d by hand.
    """
    text = clean(text)
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.lower().split())


_CONTROL = dict.fromkeys(
    [c for c in range(32) if chr(c) not in "\t\n\r"]
    + [127]
    # Lone surrogates (JSON can carry "\ud800") are no character at all: UTF-8 cannot even
    # write them, so they would fail at the database or the response.
    + list(range(0xD800, 0xE000)),
    None,
)
#: What a search looks for at most: a few words, none longer than any word in the shop.
SEARCH_WORDS, SEARCH_WORD_LENGTH, SEARCH_LENGTH = 6, 40, 100


def clean(text: str) -> str:
    """Text as the shop keeps it: composed Unicode (NFC), without control characters.

    Phones type Vietnamese either precomposed ("ữ") or decomposed ("ư" + "̃"); NFC makes
    both the same letters, so names match and search finds them. Control characters (NUL
    above all, which PostgreSQL refuses) have no place in anything a person types.
    """
    return unicodedata.normalize("NFC", text.translate(_CONTROL)).translate(_CONTROL)


def search_words(text: str) -> list[str]:
    """The words a search looks for: folded, at most :data:`SEARCH_WORDS` of them, each cut
    to :data:`SEARCH_WORD_LENGTH` letters (a pasted page never becomes a huge pattern)."""
    return [word[:SEARCH_WORD_LENGTH] for word in fold(text).split()[:SEARCH_WORDS]]


def search_text(text: str) -> str:
    """A search box's text, cleaned and cut to :data:`SEARCH_LENGTH` letters."""
    return " ".join(clean(text or "").split())[:SEARCH_LENGTH]


# ------------------------------------------------------------ how long a text may be
# One limit per kind of field: the forms, the API bodies, the journal check and the
# database's columns take their lengths from here (a longer column needs a migration).

#: A person's, a shop's, an organisation's or a supplier's name; a bank account's name; a
#: printer's name in the computer's list.
NAME_LENGTH = 120
#: A name an API token is given (what it is for).
TOKEN_NAME_LENGTH = 80
ADDRESS_LENGTH = 250
#: A phone number as typed (the number itself is checked by shop.domain.phone).
PHONE_LENGTH = 20
#: An item's or lot's code, an intake's reference, a code scanned at the counter.
CODE_LENGTH = 40
CATEGORY_LENGTH = 60
#: An item's description.
DESCRIPTION_LENGTH = 200
#: An item's size.
SIZE_LENGTH = 20
#: Why a price was changed or a discount given: a few words.
SHORT_REASON_LENGTH = 200
#: Why a sale was voided, money given back, a shift closed for her, a payout corrected; how
#: a review or a bank transaction was decided.
REASON_LENGTH = 300
#: A note on an expense, a payout, a disposal, a cash difference, a count or a count's
#: decision.
NOTE_LENGTH = 300
#: The words at the foot of a receipt.
FOOTER_LENGTH = 300
#: The codes typed for a sale from the notebook, one a line.
CODE_LIST_LENGTH = 4000
#: An intake's note.
INTAKE_NOTE_LENGTH = 500
#: A bank account's number (VietQR's longest).
ACCOUNT_NUMBER_LENGTH = 19
#: A network printer's host name (DNS's longest).
HOST_LENGTH = 253
#: The device or file the server prints to.
DEVICE_LENGTH = 300
#: The serial device a printer's cable is.
SERIAL_DEVICE_LENGTH = 200
#: A bank provider's key or address.
KEY_LENGTH = 200


#: How deep JSON may nest (objects and lists inside each other, the outermost counted): a
#: journal, the deepest the shop reads, goes five deep (a sale's lines).
MAX_JSON_DEPTH = 20


class TooDeep(ValueError):
    """JSON nested deeper than allowed; ``key`` is the outermost object's key it is under
    (``None`` when the outermost value is not an object)."""

    def __init__(self, key: object):
        super().__init__(key)
        self.key = key


def _children(value):
    return value.items() if isinstance(value, dict) else enumerate(value)


def check_depth(value: object, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`TooDeep` if JSON ``value`` nests deeper than ``max_depth``.

    Walks with a list of its own, not by recursion: any depth is measured, none overflows.
    """
    pending = [(value, 1, None)] if isinstance(value, dict | list) else []
    while pending:
        node, depth, top = pending.pop()
        for key, child in _children(node):
            if isinstance(child, dict | list):
                field = key if depth == 1 and isinstance(node, dict) else top
                if depth >= max_depth:
                    raise TooDeep(field)
                pending.append((child, depth + 1, field))


def clean_tree(value: object, *, max_depth: int = MAX_JSON_DEPTH) -> object:
    """JSON ``value`` with every text in it :func:`clean`, in place (keys stay as sent):
    a large body is not held twice.

    Raises :class:`TooDeep` past ``max_depth``, as :func:`check_depth`; no recursion either.
    """
    if isinstance(value, str):
        return clean(value)
    check_depth(value, max_depth=max_depth)
    pending = [value] if isinstance(value, dict | list) else []
    while pending:
        node = pending.pop()
        for key, child in _children(node):
            if isinstance(child, str):
                node[key] = clean(child)
            elif isinstance(child, dict | list):
                pending.append(child)
    return value
