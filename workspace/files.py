"""Files written whole or not at all, so a crash or a full disk never leaves half a file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

T = TypeVar("T")


def write_atomically(path: Path, write: Callable[[TextIO], T]) -> T:
    """Call `write` on a hidden partial file beside `path`, then rename it over `path`.

    The partial file is flushed and synced before the rename, and the folder after it, so
    `path` is either the previous file or the whole new one, even after a power cut. On any
    failure the partial file is removed and `path` is left as it was. Returns what `write`
    returns.
    """
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            result = write(out)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    _sync_folder(path.parent)
    return result


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable, where the OS lets a folder be opened (not Windows)."""
    if os.name == "nt":
        return
    descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
