"""The words a history search found, marked where they stand in the entries it shows.

A search's words are the index's own (`storage.text_index.terms_of`), so what is marked is
what was searched. A word ending in `*` marks every word it begins; any other word marks
its forms (`order` marks `orders` and `ordered`), by a light English stemming that stands
in for the databases' own: it may mark a near form the search did not count (`care` for
`car`), which costs no more than a highlight, and it always marks the word itself. Letters
compare without case or accents, as the SQLite index does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from storage.text_index import terms_of

PREFIX = "*"
"""Ends a mark that stands for every word it begins."""

#: A word of the text: a run of letters and digits, as the index splits it.
_WORD = re.compile(r"[^\W_]+")

#: Endings taken off a word before comparing, longest first; `y`, `ies` and `ied` only
#: after a consonant (`reply`, `replies`; not `delay`).
_ENDINGS = ("ings", "ing", "ies", "ied", "es", "ed", "s", "y", "e")
_AFTER_CONSONANT = frozenset({"ies", "ied", "y"})
_VOWELS = frozenset("aeiouy")

#: A stem keeps at least this many letters.
_MIN_STEM = 3


def search_marks(query: str) -> tuple[str, ...]:
    """The words of a history search to mark, lower case, each ending in `*` when it was
    written as a prefix (`refu*`); none for a search of no words."""
    return tuple(term.word + (PREFIX if term.prefix else "") for term in terms_of(query))


def _fold(word: str) -> str:
    """`word` without case or accents: `Café` -> `cafe`."""
    spread = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in spread if not unicodedata.combining(ch)).casefold()


def _strip_ending(word: str) -> str:
    for ending in _ENDINGS:
        stem = word[: -len(ending)]
        if not word.endswith(ending) or len(stem) < _MIN_STEM:
            continue
        if ending in _AFTER_CONSONANT and stem[-1] in _VOWELS:
            continue
        if ending == "s" and stem.endswith("s"):  # `address`, `pass`: not a plural
            continue
        return stem
    return word


def stem(word: str) -> str:
    """A folded word without its inflection, for comparing forms: `Shipped`, `shipping` and
    `ships` all give `ship`. Two endings at most (`strings` -> `string` -> `str`), then a
    doubled last consonant is halved (`cancell` -> `cancel`)."""
    return _stem_folded(_fold(word))


def _stem_folded(word: str) -> str:
    word = _strip_ending(_strip_ending(word))
    if len(word) > _MIN_STEM and word[-1] == word[-2] and word[-1] not in _VOWELS:
        word = word[:-1]
    return word


@lru_cache(maxsize=16)
def _matcher(marks: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The stems a word may have, and the prefixes it may begin with, to be marked."""
    stems: set[str] = set()
    prefixes: list[str] = []
    for mark in marks:
        for term in terms_of(mark):
            if term.prefix:
                prefixes.append(_fold(term.word))
            else:
                stems.add(stem(term.word))
    return frozenset(stems), tuple(prefixes)


def mark_spans(text: str, marks: Sequence[str]) -> list[tuple[int, int]]:
    """Where `marks` (from `search_marks`) match whole words of `text`, as (start, end)
    offsets, in order and never overlapping; case and accents do not matter."""
    if not marks or not text:
        return []
    stems, prefixes = _matcher(tuple(marks))
    spans: list[tuple[int, int]] = []
    for found in _WORD.finditer(text):
        word = found.group()
        folded = _fold(word)
        if folded.startswith(prefixes) or (stems and _stem_folded(folded) in stems):
            spans.append(found.span())
    return spans
