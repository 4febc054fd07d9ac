"""The progress of `caredesk import` and `caredesk demo`: the phases the domain reports, and
what the command line draws of them (on a terminal only)."""

from __future__ import annotations

import io
import re
import sys
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from storage.bulk_upsert import BulkUpserter
from storage.engine import Database
from storage.models import Customer
from storage.uow import read_session
from tests.workspace.test_import_export import SPEC_EXAMPLE, write_lines
from tests.workspace.test_import_parking import CUSTOMER, _message, _ticket
from workspace import import_lines
from workspace.cli import main
from workspace.cli.progress import TerminalProgress
from workspace.demo import build_demo
from workspace.errors import InputRejected
from workspace.import_lines import count_lines
from workspace.importer import import_file
from workspace.progress import RECORDS, UNWATCHED

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

IMPORT_PHASES = [
    "counting lines",
    "importing records",
    "checking references",
    "writing",
    "building search index",
    "committing",
]
DEMO_PHASES = [
    "adding the team",
    "planning the set",
    "making records",
    "building search index",
    "committing",
]


class Recorder:
    """A `Progress` that keeps every call, and checks phases come one at a time."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...] | tuple[str, str, int | None, str]] = []
        self.phases: list[str] = []
        self.started_with: dict[str, tuple[int | None, str]] = {}
        self.units: dict[str, int] = {}
        self.records: dict[str, int] = {}
        self.current: str | None = None

    def started(self, phase: str, total: int | None = None, unit: str = RECORDS) -> None:
        assert self.current is None, f"{phase} started inside {self.current}"
        self.current = phase
        self.phases.append(phase)
        self.started_with[phase] = (total, unit)
        self.units[phase] = self.records[phase] = 0

    def advanced(self, n: int, records: int | None = None) -> None:
        assert self.current is not None, "advanced outside a phase"
        self.units[self.current] += n
        _, unit = self.started_with[self.current]
        self.records[self.current] += (n if unit == RECORDS else 0) if records is None else records

    def finished(self, phase: str) -> None:
        assert phase == self.current, f"{phase} finished while {self.current} ran"
        self.current = None


def test_an_import_reports_its_phases_in_order_and_every_line(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_lines, "PROGRESS_EVERY", 2)  # several reports in a small file
    path = tmp_path / "example.jsonl"
    path.write_text(SPEC_EXAMPLE + "\n" + SPEC_EXAMPLE.replace("C-1001", "C-1002"))
    seen = Recorder()

    summary = import_file(sqlite_db, path, progress=seen)

    assert seen.phases == IMPORT_PHASES and seen.current is None
    assert summary.lines == 9  # a blank line among them
    assert seen.units["counting lines"] == summary.lines
    assert seen.started_with["importing records"] == (summary.lines, RECORDS)
    assert seen.records["importing records"] == summary.lines
    written = seen.started_with["writing"][0]
    assert written == 8 and seen.records["writing"] == written


def test_lines_are_counted_as_the_import_reads_them(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    for body in ("", "\n", "\n\n", SPEC_EXAMPLE, SPEC_EXAMPLE.rstrip("\n")):
        path.write_text(body, encoding="utf-8")
        assert count_lines(path, UNWATCHED) == import_file(sqlite_db, path).lines, repr(body)


def test_unparking_contacts_is_a_phase_of_its_own(sqlite_db: Database, tmp_path: Path) -> None:
    parked = {"status": "pending", "sla_due_at": "2026-11-07T09:30:00+00:00"}
    parked["parked_at"] = "2026-11-07T09:10:00+00:00"
    tickets = [CUSTOMER, _ticket("T-1", **parked), _ticket("T-2", **parked)]
    import_file(sqlite_db, write_lines(tmp_path / "tickets.jsonl", tickets))
    seen = Recorder()

    messages = [_message("I-1", "T-1", 60), _message("I-2", "T-2", 60)]
    summary = import_file(sqlite_db, write_lines(tmp_path / "m.jsonl", messages), progress=seen)

    assert summary.unparked == 2
    assert seen.phases == [*IMPORT_PHASES[:4], "un-parking contacts", *IMPORT_PHASES[4:]]
    assert seen.started_with["un-parking contacts"] == (2, "contacts")
    assert seen.units["un-parking contacts"] == 2


def test_a_refused_import_stops_after_checking_references(
    sqlite_db: Database, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "bad.jsonl", [{"type": "order", "id": "W1", "customer": "C-9"}])
    seen = Recorder()
    with pytest.raises(InputRejected):
        import_file(sqlite_db, path, progress=seen)
    assert seen.phases == IMPORT_PHASES[:3] and seen.current is None


def test_the_demo_reports_its_phases_and_records_that_add_up(sqlite_db: Database) -> None:
    seen = Recorder()

    summary = build_demo(sqlite_db, customers=2_500, contacts=10, now=NOW, progress=seen)

    assert seen.phases == DEMO_PHASES and seen.current is None
    assert sum(seen.records.values()) == summary.records
    assert seen.records["adding the team"] == summary.agents
    assert seen.started_with["making records"] == (2_500, "customers")
    assert seen.units["making records"] == 2_500


def _summary_line(path: Path) -> str:
    return f"imported {path}: 0 agents, 1 customer, 1 order, 1 ticket, 1 interaction, 0 surveys\n"


def test_off_a_terminal_the_commands_write_only_their_summaries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "example.jsonl"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")

    assert main(["import", str(path), "--db", f"sqlite:///{tmp_path / 'a.db'}"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (_summary_line(path), "")

    assert main(["demo", "--db", f"sqlite:///{tmp_path / 'b.db'}", "--customers", "30"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert re.fullmatch(
        r"demo data: 30 customers, .* records in [\d.]+ s \([\d,]+ records/s\)\n", out
    )


def test_on_a_terminal_the_import_draws_its_phases_on_standard_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "example.jsonl"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    assert main(["import", str(path), "--db", f"sqlite:///{tmp_path / 'a.db'}"]) == 0

    out, err = capsys.readouterr()
    assert out == _summary_line(path)  # the summary stays on standard output
    for phase in IMPORT_PHASES:
        assert phase in err
    assert "4/4 records" in err


def test_the_drawn_progress_names_records_a_rate_and_the_phases(
    sqlite_db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "example.jsonl"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    screen = io.StringIO()
    ticks = count()
    console = Console(file=screen, force_terminal=True, width=100, color_system=None)

    with TerminalProgress(console, clock=lambda: next(ticks) / 10) as progress:
        import_file(sqlite_db, path, progress=progress)
        progress.started("making records", 200, unit="customers")
        progress.advanced(20, records=1_000)
        progress.advanced(30, records=234)

    drawn = screen.getvalue()
    for phase in IMPORT_PHASES:
        assert phase in drawn
    assert re.search(r"importing records .* 4/4 records +[\d,]+/s", drawn)
    assert re.search(r"25% of customers +1,234 records +[\d,]+/s +[\d:]+ left", drawn)


def test_ctrl_c_during_an_import_rolls_back_and_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "example.jsonl"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'a.db'}"

    def interrupted(self: BulkUpserter) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(BulkUpserter, "finish", interrupted)
    assert main(["import", str(path), "--db", url]) == 130

    out, err = capsys.readouterr()
    assert out == ""
    assert err == "caredesk: import interrupted; nothing was imported\n"
    from storage.engine import make_database

    db = make_database(url)
    with read_session(db) as session:
        assert session.execute(select(func.count()).select_from(Customer)).scalar_one() == 0
    db.dispose()
