"""Files written whole or not at all: the previous file survives a write that fails."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TextIO

import pytest

from workspace.files import write_atomically


def test_a_write_replaces_the_file_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")

    def write(out: TextIO) -> int:
        out.write("new\n")
        return 1

    assert write_atomically(target, write) == 1
    assert target.read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_a_failure_part_way_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")

    def write(out: TextIO) -> int:
        out.write("half of the new\n")
        out.flush()
        # The new text goes beside the target, never into it.
        assert target.read_text(encoding="utf-8") == "old\n"
        assert (tmp_path / ".out.jsonl.partial").read_text(encoding="utf-8") == "half of the new\n"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, write)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


@pytest.mark.skipif(os.name == "nt", reason="Windows cannot open a folder to sync it")
def test_the_file_then_its_folder_are_synced(tmp_path: Path, monkeypatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    write_atomically(tmp_path / "cp.json", lambda out: out.write("{}"))
    assert synced == ["file", "folder"]
