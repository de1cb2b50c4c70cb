"""The Spanish catalog is complete and sound: every public string the code and templates mark
has a Spanish translation, none fuzzy, with the same placeholders; and the pages people walk
through render in Spanish."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale/es/LC_MESSAGES/django.po"
# What makemessages reads: the code and templates, the admin and the models' labels included
# (docs/i18n.md).
IGNORED = [".venv/*", "staticfiles/*", "tests/*", "scripts/*", "docs/*"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")


def catalog():
    with CATALOG.open("rb") as source:
        return read_po(source, locale="es")


def ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def test_every_msgid_has_a_spanish_translation_with_the_same_placeholders():
    problems = []
    for message in catalog():
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(strings(message)):
            problems.append(f"untranslated: {message.id!r}")
            continue
        wanted = sorted(PLACEHOLDER.findall(ids(message)[-1]))
        for string in strings(message):
            if sorted(PLACEHOLDER.findall(string)) not in (wanted, sorted(set(wanted))):
                # A singular may leave out the count ("Una reunión" for "%(n)s meeting").
                if set(PLACEHOLDER.findall(string)) - set(wanted):
                    problems.append(f"placeholders differ: {message.id!r} -> {string!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not shutil.which("xgettext"), reason="makemessages needs GNU gettext")
def test_the_catalog_holds_every_string_the_code_marks(tmp_path):
    """makemessages on a copy of the project: a msgid it finds that the committed catalog lacks
    (or a translation it would leave empty) is a public string shown in English on a Spanish
    page."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ["manage.py", "pyproject.toml"]:
        shutil.copy(ROOT / name, copy / name)
    for name in ["peersupport", "directory", "templates", "locale", "static"]:
        shutil.copytree(
            ROOT / name, copy / name, ignore=shutil.ignore_patterns("*.mo", "__pycache__")
        )
    command = [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-obsolete",
               "--add-location=file"]  # fmt: skip
    for pattern in IGNORED:
        command += ["-i", pattern]
    completed = subprocess.run(  # noqa: S603 - our own manage.py
        command, cwd=copy, capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "true", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    with (copy / "locale/es/LC_MESSAGES/django.po").open("rb") as source:
        extracted = read_po(source, locale="es")
    committed = catalog()
    missing = [
        (message.context, ids(message)[0])
        for message in extracted
        if message.id
        and (message.context, message.id) not in {(m.context, m.id) for m in committed}
    ]
    untranslated = [ids(m)[0] for m in extracted if m.id and not all(strings(m))]
    assert not missing, f"marked in the code, missing from {CATALOG.name}: {missing}"
    assert not untranslated, f"empty translations: {untranslated}"
