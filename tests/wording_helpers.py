"""What the wording tests share (tests/test_wording_english.py, tests/test_wording_spanish.py):
a schedule as the arithmetic of directory.scheduling.wording reads it, and a fixed instant."""

import datetime as dt
from dataclasses import dataclass


@dataclass
class S:
    """A schedule as the arithmetic reads it."""

    weekday: int
    start_time: dt.time
    end_time: dt.time | None = None
    timezone: str = "America/New_York"
    kind: str = "weekly"
    week_of_month: int | None = None
    interval_weeks: int | None = None
    anchor_date: dt.date | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


T = dt.time
NOW = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)  # a Tuesday, noon in New York
