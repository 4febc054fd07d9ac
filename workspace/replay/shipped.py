"""The scenario library CareDesk ships: `library/` beside this module, one scenario per file
(the policies they share are in `library/policies/`)."""

from __future__ import annotations

from pathlib import Path

LIBRARY = Path(__file__).resolve().parent / "library"
"""Where the shipped scenarios are."""


def shipped() -> list[Path]:
    """Every shipped scenario file, by name."""
    return sorted(LIBRARY.glob("*.yaml"))
