"""Real people replaced by consistent fakes, so a contact can be rehearsed without anyone
in it reaching a training room.

Fakes are drawn by `faker`, seeded from a string (the contact's id) so the same originals
always get the same fakes; each original maps to one fake wherever it appears, free text
included, and e-mail addresses, phone numbers and street addresses found in free text are
replaced even when nobody knew of them beforehand.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable

from faker import Faker

_GAP = r"[ .()/-]{0,2}"
"""What may stand between two digits of a phone number."""

_EMAIL = r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # from a run's start: linear time
_STREET = (
    r"(?<!\w)\d{1,6}(?: [A-Z][A-Za-z'.-]*){1,4} (?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|"
    r"Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Terrace|Parkway|Pkwy|Highway|Hwy|Square|"
    r"Circle)\b\.?(?:,? (?:Apt|Apartment|Suite|Unit)\.? ?#?[\w-]+)?"
)
_PLACE = r"(?<!\w)[A-Z][A-Za-z'.-]*(?: [A-Z][A-Za-z'.-]*){0,3}, [A-Z]{2} \d{5}(?:-\d{4})?(?!\w)"
_PHONE = (
    rf"(?<![\w+])(?<!\d[ .()/-])(?<!\d[ .()/-]{{2}})(?:\+|00)?\(?\d(?:{_GAP}\d){{8,14}}"
    rf"(?!\w)(?!{_GAP}\d)"
)
"""Any run of 9 to 15 digits, however punctuated: a phone number, or a number that looks
like one (replaced too: privacy first)."""

_FOUND = (("email", _EMAIL), ("street", _STREET), ("place", _PLACE), ("phone", _PHONE))
"""What is replaced wherever it is found, whether it was known beforehand or not."""


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _digits(text: str) -> str:
    """A phone number's digits, without an international `00` prefix."""
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    return digits[2:] if text.lstrip().startswith("00") else digits


def _unaccented(text: str) -> str:
    """`Siobhán` as it is often typed: `Siobhan`."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _taken_keys(text: str, *, words: bool = False) -> set[str]:
    """The keys a fake must not share with an original: its own, its digits when it has a
    phone number's worth, and (for names) each of its words."""
    keys = {_key(text)}
    if len(digits := _digits(text)) >= 7:
        keys.add("#" + digits)
    if words:
        keys.update(_key(w) for w in text.split())
    return keys


class Disguise:
    """Consistent fakes: each original (compared without case) gets one fake, the same in
    the scenario's fields and inside every text. Seeded from `seed`: the same originals,
    registered in the same order, get the same fakes."""

    def __init__(self, seed: str) -> None:
        self._faker = Faker("en_US")
        self._faker.seed_instance(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8]))
        self._fakes: dict[str, str] = {}
        """Originals' keys (`_key`; `_digits` for phone numbers) to their fakes."""
        self._words: list[str] = []
        """Patterns of the names and ids to find as whole words."""
        self._numbers: list[str] = []
        """Patterns of the phone numbers known, however punctuated."""
        self._taken: set[str] = set()
        """Keys no fake may have: every original's, and every fake's given."""
        self._pattern: re.Pattern[str] | None = None

    def reserve(self, originals: Iterable[str], texts: Iterable[str] = ()) -> None:
        """Keep `originals`, and what `_FOUND` finds in `texts`, from being drawn as fakes:
        call it before drawing any."""
        for original in originals:
            self._taken |= _taken_keys(original, words=True)
        for text in texts:
            for _, pattern in _FOUND:
                for found in re.findall(pattern, text):
                    self._taken |= _taken_keys(found)

    def person(self, name: str) -> str:
        """A fake full name for `name`; its first and last words map to the fake's."""
        if (known := self._fakes.get(_key(name))) is not None:
            return known
        fake = self._fresh(lambda: f"{self._faker.first_name()} {self._faker.last_name()}", True)
        self.alias(name, fake)
        words, fakes = name.split(), fake.split()
        if len(words) > 1:
            self.alias(words[0], fakes[0])
            self.alias(words[-1], fakes[-1])
        return fake

    def email(self, original: str, owner: str | None = None) -> str:
        """A fake address at example.com, made of `owner`'s fake name when there is one."""
        if (known := self._fakes.get(_key(original))) is not None:
            return known
        named = ".".join(_unaccented(w).lower() for w in owner.split()) if owner else ""
        first = iter([named] if named else [])  # a second draw is a user name

        def draw() -> str:
            return f"{next(first, '') or self._faker.user_name()}@example.com"

        fake = self._fresh(draw)
        self._fakes[_key(original)] = fake
        return fake

    def phone(self, original: str) -> str:
        """A fake number in the range kept for fiction (555-0100 to 555-0199)."""
        digits = _digits(original)
        if (known := self._fakes.get(digits)) is not None:
            return known
        fake = self._fresh(lambda: self._faker.numerify("+1 555 01##"))
        variants = [digits]
        if original.lstrip().startswith(("+", "00")):  # also without its country code
            variants += [digits[n:] for n in range(1, 4) if len(digits) - n >= 7]
        for variant in variants:
            self._fakes.setdefault(variant, fake)
            prefix = rf"(?<![\w+])(?:(?:\+|00){_GAP})?\(?(?:0{_GAP})?"
            self._numbers.append(prefix + _GAP.join(variant) + r"(?!\d)")
        self._pattern = None
        return fake

    def ident(self, original: str) -> str:
        """A fake id of the same shape: each letter and digit drawn again."""
        if (known := self._fakes.get(_key(original))) is not None:
            return known

        def one(ch: str) -> str:
            if ch.isascii() and ch.isdigit():
                return str(self._faker.random_digit())
            if ch.isascii() and ch.isupper():
                return str(self._faker.random_uppercase_letter())
            return str(self._faker.random_lowercase_letter()) if ch.isalnum() else ch

        fake = self._fresh(lambda: "".join(one(ch) for ch in original) or "x")
        self.alias(original, fake)
        return fake

    def alias(self, original: str, fake: str) -> None:
        """Map `original` (and its unaccented spelling) to a fake already drawn."""
        for variant in dict.fromkeys((original, _unaccented(original))):
            if len(variant.strip()) < 2 or _key(variant) in self._fakes:
                continue
            self._fakes[_key(variant)] = fake
            words = (re.escape(w) for w in variant.split())
            self._words.append(r"\s+".join(words))
            self._pattern = None

    def text(self, text: str) -> str:
        """`text` with every original replaced by its fake, and every e-mail address, phone
        number and street address found in it by one of its own."""
        if self._pattern is None:
            # The longest first, so a full name is found before its first word; the words'
            # lookbehind once for all, so the thousands of a customer's order ids cost
            # little inside words.
            words, numbers = (
                "|".join(sorted(set(found), key=lambda p: (-len(p), p)))
                for found in (self._words, self._numbers)
            )
            known = [rf"(?<!\w)(?:{words})(?!\w)" if words else "", numbers]
            parts = [f"(?P<{kind}>{pattern})" for kind, pattern in _FOUND]
            if any(known):  # after e-mail addresses, so a name inside one leaves it whole
                parts.insert(1, "(?P<known>(?i:" + "|".join(k for k in known if k) + "))")
            self._pattern = re.compile("|".join(parts))
        return self._pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        found, kind = match.group(), match.lastgroup
        if kind == "email":
            return self.email(found)
        if kind == "phone":  # a bare run of digits (a tracking number?) keeps its shape
            return self.ident(found) if found.isdigit() else self.phone(found)
        key = _key(found)
        if kind == "known":
            digits = _digits(found)
            for candidate in (key, digits, digits.removeprefix("0")):
                if candidate in self._fakes:
                    return self._fakes[candidate]
        if key not in self._fakes:  # a known name cased past `_key` gets a name of its own
            draws = {"street": self._faker.street_address, "place": self._place}
            self._fakes[key] = self._fresh(draws.get(kind or "", self._faker.last_name))
        return self._fakes[key]

    def _place(self) -> str:
        return f"{self._faker.city()}, {self._faker.state_abbr()} {self._faker.zipcode()}"

    def _fresh(self, draw: Callable[[], str], words: bool = False) -> str:
        """A fake from `draw` that is no original and no fake given before."""
        for attempt in itertools.count():
            fake = draw() if attempt < 100 else f"{draw()} ext. {self._faker.numerify('####')}"
            keys = _taken_keys(fake, words=words)
            if not keys & self._taken:
                self._taken |= keys
                return fake
        raise AssertionError("unreachable")
