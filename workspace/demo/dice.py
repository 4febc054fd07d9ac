"""Fast draws that give exactly what `random.Random`'s own methods give on the same stream.

A large demo makes tens of millions of draws, and `Random.choice`, `randint` and
`choices` spend most of their time on argument checks and on summing the weights again on
every call. These do the same arithmetic on the same generator (CPython's `random.py`), so
a seed gives the same demo whichever is used; `tests/workspace/test_demo.py` holds them to
that.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """Items with weights, summed once: `dice.weighted(w)` is `rng.choices(items, weights)[0]`."""

    __slots__ = ("_cum", "_hi", "_total", "items")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if len(items) != len(weights) or not items:
            raise ValueError("one weight per item, and at least one item")
        self.items = tuple(items)
        self._cum = list(accumulate(weights))
        self._total = self._cum[-1] + 0.0
        self._hi = len(self._cum) - 1


class Dice:
    """The draws of the demo's generator, each equal to the `random.Random` method named."""

    __slots__ = ("_bits", "random", "rng")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        """The generator itself, for the draws that have no faster twin here."""
        self.random = rng.random
        self._bits = rng.getrandbits

    def below(self, n: int) -> int:
        """`rng.randrange(n)` for n >= 1."""
        k = n.bit_length()
        r = self._bits(k)
        while r >= n:
            r = self._bits(k)
        return r

    def randint(self, a: int, b: int) -> int:
        """`rng.randint(a, b)` for a <= b."""
        n = b - a + 1
        k = n.bit_length()
        r = self._bits(k)
        while r >= n:
            r = self._bits(k)
        return a + r

    def pick(self, seq: Sequence[T]) -> T:
        """`rng.choice(seq)` for a non-empty sequence."""
        n = len(seq)
        k = n.bit_length()
        r = self._bits(k)
        while r >= n:
            r = self._bits(k)
        return seq[r]

    def uniform(self, a: float, b: float) -> float:
        """`rng.uniform(a, b)`."""
        return a + (b - a) * self.random()

    def weighted(self, w: Weighted[T]) -> T:
        """`rng.choices(w.items, weights)[0]`."""
        return w.items[bisect(w._cum, self.random() * w._total, 0, w._hi)]

    def index(self, weights: Sequence[float]) -> int:
        """`rng.choices(range(len(weights)), weights)[0]`, for weights that change."""
        cum = list(accumulate(weights))
        return bisect(cum, self.random() * (cum[-1] + 0.0), 0, len(cum) - 1)
