"""Text as people search for it: Vietnamese without its accents, in lower case."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case ``text`` and drop its diacritics, so "ao khoac" finds "Áo khoác".

    đ/Đ have no decomposition in Unicode and are mapped to d by hand.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.lower().split())
