"""Money as CareDesk holds it: a Decimal rounded to the cent. Pure, so any layer may use it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_money(value: Decimal | str | int) -> Decimal:
    """A money amount rounded to the cent (half up), the only form money takes in CareDesk."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
