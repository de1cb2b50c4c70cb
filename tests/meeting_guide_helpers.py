"""What the Meeting Guide tests share (tests/test_meeting_guide_export.py,
tests/test_meeting_guide_import.py, tests/test_meeting_guide_round_trip.py): a feed's rows by
slug, the import command run on a file of rows, and the support type imported meetings get.

A module that uses the fixture imports ``twelve_step_fixture``: pytest finds it there under the
name ``twelve_step``, which the tests ask for.
"""

from __future__ import annotations

import json

import pytest

from tests import factories


def by_slug(rows):
    return {row["slug"]: row for row in rows}


def run_import(tmp_path, rows, *args) -> tuple[str, str]:
    from io import StringIO

    from django.core.management import call_command

    from directory.models import Organization

    Organization.objects.get_or_create(slug="intergroup", defaults={"name": "Intergroup"})
    path = tmp_path / "meetings.json"
    path.write_text(json.dumps(rows))
    out, err = StringIO(), StringIO()
    call_command(
        "import_meeting_guide",
        str(path),
        "--organization",
        "intergroup",
        *args,
        stdout=out,
        stderr=err,
    )
    lines = out.getvalue().splitlines()
    if lines and lines[0].startswith("New feed source"):
        lines = lines[1:]
    # The summary line, and the grouped report.
    return (lines[0] if lines else ""), "\n".join(lines[1:]) + err.getvalue()


@pytest.fixture(name="twelve_step")
def twelve_step_fixture():
    return factories.support_type(name="12-Step Programs", slug="12-step-programs")
