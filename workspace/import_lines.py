"""Reading an import file line by line, and telling the progress how many lines are read.

Memory stays flat whatever the file's size: a line is read at most MAX_LINE_BYTES at a
time, and a longer one is refused without being held.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from workspace.import_fields import Found
from workspace.import_records import Parsed, Rejected, decode, parse_record
from workspace.progress import Progress

#: Longest line read, newline excluded; a longer one is refused without being held in memory.
MAX_LINE_BYTES = 1024 * 1024
#: Lines read between progress reports.
PROGRESS_EVERY = 1_000
#: Bytes read at a time when counting the lines of a file.
COUNT_BLOCK = 1024 * 1024


def count_lines(path: Path, progress: Progress) -> int:
    """The lines of `path` as the import reads them (a last line without a newline counts).

    A user reads an import's figures as records, so the progress of an import is counted in
    lines read against the lines in the file, not in bytes (which people took for lines).
    Knowing the total takes this pass, only made when someone watches: counting newlines in
    large blocks runs at disk speed, a few per cent of the time the import itself takes.
    """
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(COUNT_BLOCK):
            found = block.count(b"\n")
            lines += found
            progress.advanced(found)
            last = block[-1:]
    return lines if last == b"\n" else lines + 1


class LineScan:
    """One pass over the file: its lines, and progress to report in lines read."""

    def __init__(self, path: Path, progress: Progress) -> None:
        self.path = path
        self.progress = progress
        self.lines = 0
        self.reported = 0

    def _raw_lines(self, handle: BinaryIO) -> Iterator[bytes | None]:
        """Each line without its newline; None for a line too long to read."""
        while raw := handle.readline(MAX_LINE_BYTES + 2):
            self.lines += 1
            if self.lines - self.reported >= PROGRESS_EVERY:
                self._report()
            body = raw[:-1] if raw.endswith(b"\n") else raw
            if len(body) <= MAX_LINE_BYTES:
                yield body
                continue
            while raw and not raw.endswith(b"\n"):  # skip the rest without holding it
                raw = handle.readline(MAX_LINE_BYTES)
            yield None

    def _report(self) -> None:
        self.progress.advanced(self.lines - self.reported)
        self.reported = self.lines

    def records(self) -> Iterator[tuple[int, Parsed | Found]]:
        """Every non-blank line as a record or the problems found on it."""
        with self.path.open("rb") as handle:
            for raw in self._raw_lines(handle):
                if raw is None:
                    yield self.lines, [(None, f"line is longer than {MAX_LINE_BYTES:,} bytes")]
                elif raw.strip():
                    try:
                        obj = decode(raw, first=self.lines == 1)
                    except Rejected as exc:
                        yield self.lines, [(exc.field, exc.message)]
                        continue
                    yield self.lines, parse_record(obj)
        self._report()
