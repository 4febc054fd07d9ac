"""The monitor's trends: today's figures put together from today's hours are the report's own
for the day, to the last digit, and what is kept is read again once it may have moved."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from storage.engine import Database
from tests.monitoring import monitor_reader
from workspace.demo import build_demo
from workspace.metrics import Facts, Period, shown
from workspace.reporting import report
from workspace.trends import DAYS, REREAD, SHOWN, SLICE, Trends, day_start

#: An afternoon: fifteen finished hours today, and the sixteenth under way.
AFTERNOON = datetime.fromisoformat("2026-11-07T15:41:09.250000+00:00")


@pytest.fixture
def worked(sqlite_db: Database) -> Database:
    build_demo(sqlite_db, customers=120, contacts=90, now=AFTERNOON)
    return sqlite_db


@pytest.mark.parametrize("minutes", [0, 41], ids=["on the hour", "within it"])
def test_todays_figures_are_the_days_report_from_its_hours(worked: Database, minutes: int) -> None:
    now = AFTERNOON.replace(minute=minutes, second=0 if minutes == 0 else 9)
    if minutes == 0:
        now = now.replace(microsecond=0)
    with monitor_reader(worked) as reader:
        trends = {t.key: t for t in Trends(reader, lambda: now).read()}
        today = day_start(now)
        day = report(reader, Period(today, now)).total
        for key in SHOWN:
            assert trends[key].today == shown(key, getattr(day, key)), key
        starts = [today + timedelta(hours=n) for n in range(16)]
        hours = [
            report(reader, Period(start, min(now, start + timedelta(hours=1)))).total
            for start in starts
            if start < now
        ]
        for key in SHOWN:
            expected = tuple(None if (v := getattr(h, key)) is None else float(v) for h in hours)
            assert trends[key].hours == expected, key
            assert len(trends[key].days) == DAYS
        # The demo's day has data for the figures that matter most.
        assert day.frt_median_s is not None and day.contacts_opened and day.backlog


def test_a_refresh_reads_the_current_slice_and_rereads_one_old_period(
    worked: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [AFTERNOON]
    with monitor_reader(worked) as reader:
        trends = Trends(reader, lambda: now[0])
        read: list[Period] = []
        gather = trends._gather

        def counted(since: datetime, until: datetime) -> Facts:
            read.append(Period(since, until))
            return gather(since, until)

        monkeypatch.setattr(trends, "_gather", counted)
        trends.read()
        # Every finished hour, the current hour's eight finished slices, the one under way
        # (15:40 on), and every finished day: once each.
        assert len(read) == 15 + 8 + 1 + (DAYS - 1)
        today = day_start(AFTERNOON)
        hour, part = timedelta(hours=1), SLICE
        at = today + 15 * hour
        assert read[15:24] == [Period(at + n * part, at + (n + 1) * part) for n in range(8)] + [
            Period(at + 8 * part, AFTERNOON)
        ]
        read.clear()
        now[0] += timedelta(seconds=5)
        trends.read()
        assert read == [Period(at + 8 * part, now[0])]
        read.clear()
        now[0] = AFTERNOON + REREAD  # 16:11:09
        trends.read()
        # The period read longest ago again; the hour that just finished made of its kept
        # slices and the four it still lacked; the new hour's two finished slices; the rest.
        assert read == [
            Period(today, today + hour),
            *[Period(at + n * part, at + (n + 1) * part) for n in range(8, 12)],
            Period(at + hour, at + hour + part),
            Period(at + hour + part, at + hour + 2 * part),
            Period(at + hour + 2 * part, now[0]),
        ]


def test_an_hour_made_of_its_slices_is_the_hours_report(worked: Database) -> None:
    now = [AFTERNOON]
    with monitor_reader(worked) as reader:
        trends = Trends(reader, lambda: now[0])
        trends.read()  # keeps 15:00 to 15:40 in slices
        now[0] = AFTERNOON + timedelta(minutes=21)  # 16:02:09: the hour 15 has ended
        found = {t.key: t for t in trends.read()}
        at = day_start(AFTERNOON) + timedelta(hours=15)
        hour = report(reader, Period(at, at + timedelta(hours=1))).total
        day = report(reader, Period(day_start(AFTERNOON), now[0])).total
        assert hour.contacts_opened and hour.frt_median_s is not None  # the hour has data
        for key in SHOWN:
            value = getattr(hour, key)
            assert found[key].hours[15] == (None if value is None else float(value)), key
            assert found[key].today == shown(key, getattr(day, key)), key
