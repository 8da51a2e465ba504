"""Text as people search for it: Vietnamese without its accents, in lower case."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case ``text`` and drop its diacritics, so "ao khoac" finds "Áo khoác".

    đ/Đ have no decomposition in Unicode and are mapped to d by hand.
    """
    text = clean(text)
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.lower().split())


_CONTROL = dict.fromkeys([c for c in range(32) if chr(c) not in "\t\n\r"] + [127], None)


def clean(text: str) -> str:
    """Text as the shop keeps it: composed Unicode (NFC), without control characters.

    Phones type Vietnamese either precomposed ("ữ") or decomposed ("ư" + "̃"); NFC makes
    both the same letters, so names match and search finds them. Control characters (NUL
    above all, which PostgreSQL refuses) have no place in anything a person types.
    """
    return unicodedata.normalize("NFC", text).translate(_CONTROL)
