"""The scenario library CareDesk ships: `library/` beside this module, one scenario per file
(`policy*.yaml` there are the policies they share)."""

from __future__ import annotations

from pathlib import Path

LIBRARY = Path(__file__).resolve().parent / "library"
"""Where the shipped scenarios are."""


def shipped() -> list[Path]:
    """Every shipped scenario file, by name."""
    return sorted(p for p in LIBRARY.glob("*.yaml") if not p.name.startswith("policy"))
