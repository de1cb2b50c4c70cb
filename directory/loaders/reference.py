"""Reference data from ``fixtures/reference/``: feature taxonomy (Meeting Guide type codes),
credential types, crisis lines and national/online fellowships.

Every file is read and validated before anything is written, so a bad file leaves the database
as it was.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.text import slugify

from directory.constants import FEATURE_CATEGORIES, SUPPORT_TYPES
from directory.loaders.base import LoaderError, Summary, fixtures_dir, sync
from directory.models import (
    CredentialType,
    CrisisLine,
    Feature,
    FeatureCategory,
    Organization,
    SupportType,
)
from directory.models.listings import ACTIVE_ATTENDANCE


def default_reference_dir() -> Path:
    return fixtures_dir() / "reference"


# Meeting Guide type code → feature category, in display order within each category. This is
# our editorial choice (the spec has no categories); a code missing here lands in "format".
MEETING_GUIDE_CATEGORIES: dict[str, tuple[str, ...]] = {
    # How the meeting runs and what it studies.
    "format": (
        "O",  # Open
        "C",  # Closed
        "SP",  # Speaker
        "D",  # Discussion
        "ST",  # Step Study
        "TR",  # Tradition Study
        "B",  # Big Book
        "12x12",  # 12 Steps & 12 Traditions
        "LIT",  # Literature
        "ABSI",  # As Bill Sees It
        "DR",  # Daily Reflections
        "LS",  # Living Sober
        "GR",  # Grapevine
        "11",  # 11th Step Meditation
        "MED",  # Meditation
        "A",  # Secular
        "XT",  # Cross Talk Permitted
        "CAN",  # Candlelight
        "BRK",  # Breakfast
        "H",  # Birthday
        "OUT",  # Outdoor
        "AL",  # Concurrent with Alateen
        "AL-AN",  # Concurrent with Al-Anon
        "POA",  # Proof of Attendance
        "DB",  # Digital Basket
        "SM",  # Smoking Permitted
        "TC",  # Location Temporarily Closed
    ),
    # Who the meeting is for.
    "audience": (
        "BE",  # Newcomer
        "W",  # Women
        "M",  # Men
        "Y",  # Young People
        "SEN",  # Seniors
        "LGBTQ",
        "G",  # Gay
        "L",  # Lesbian
        "BI",  # Bisexual
        "T",  # Transgender
        "NB",  # Non-Binary
        "POC",  # People of Color
        "N",  # Native American
        "NDG",  # Indigenous
        "P",  # Professionals
        "CF",  # Child-Friendly
    ),
    # What makes it possible to attend.
    "accessibility": (
        "X",  # Wheelchair Access
        "XB",  # Wheelchair-Accessible Bathroom
        "ASL",  # American Sign Language
        "FF",  # Fragrance Free
        "BA",  # Babysitting Available
    ),
    # The spoken language (English and Spanish first, then by English name).
    "language": (
        "EN",
        "S",
        "AF",
        "AM",
        "AR",
        "BG",
        "HR",
        "DA",
        "NL",
        "FI",
        "FR",
        "KA",
        "DE",
        "EL",
        "HE",
        "HI",
        "HU",
        "IS",
        "ITA",
        "JA",
        "KOR",
        "LT",
        "ML",
        "MT",
        "NE",
        "NO",
        "FA",
        "POL",
        "POR",
        "PUN",
        "RUS",
        "SK",
        "SL",
        "SV",
        "TL",
        "TH",
        "TUR",
        "UK",
    ),
    # What the meeting is about.
    "focus": ("DD",),  # Dual Diagnosis
}
CATEGORY_FOR_CODE = {
    code: category for category, codes in MEETING_GUIDE_CATEGORIES.items() for code in codes
}
DEFAULT_CATEGORY = "format"

# Focus features the Meeting Guide spec has no code for (it is AA-centred, so the substance is
# implied). Code left blank. (name, Spanish name)
EXTRA_FOCUS_FEATURES = [
    ("Alcohol", "Alcohol"),
    ("Drugs", "Drogas"),
    ("Gambling", "Juego"),
    ("Family members", "Familiares"),
]

# national-resources.csv says "12-step"; the other values are already our slugs.
SUPPORT_TYPE_ALIASES = {"12-step": "12-step-programs"}
ATTENDANCE = {attendance.value for attendance in ACTIVE_ATTENDANCE}

CREDENTIAL_COLUMNS = [
    "abbreviation",
    "name",
    "issuing_body",
    "jurisdiction",
    "renewal_years",
    "public_lookup",
    "source",
]
CRISIS_COLUMNS = ["country", "name", "phone", "text", "url", "hours", "description"]
# Spanish, where the line has it (blank: the English shows on Spanish pages).
CRISIS_SPANISH_COLUMNS = ["name_es", "text_es", "description_es"]
NATIONAL_COLUMNS = ["name", "support_type", "attendance", "url", "description"]
# Our own Spanish for the fellowships' descriptions (blank: the English shows on Spanish pages).
NATIONAL_SPANISH_COLUMNS = ["description_es"]


@dataclass
class ReferenceData:
    meeting_types: list[tuple[str, str, str]]  # (code, English, Spanish) in file order
    credential_types: list[dict[str, Any]]
    crisis_lines: list[dict[str, str]]
    national_resources: list[dict[str, Any]]


# --- Reading and validating --------------------------------------------------------------------

_url = URLValidator(schemes=["http", "https"])


def _check_url(value: str, where: str) -> str:
    if value:
        try:
            _url(value)
        except ValidationError:
            raise LoaderError(f"{where}: {value!r} is not a valid http(s) URL.") from None
    return value


def _read_csv(path: Path, columns: list[str], required: list[str]) -> list[tuple[str, dict]]:
    """Rows as (``file:line`` for messages, stripped values); checks header and required cells."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise LoaderError(f"{path.name}: missing column(s) {', '.join(missing)}.")
            rows = []
            for row in reader:
                where = f"{path.name}:{reader.line_num}"
                if None in row:
                    raise LoaderError(f"{where}: more cells than columns.")
                values = {c: (row[c] or "").strip() for c in columns}
                empty = [c for c in required if not values[c]]
                if empty:
                    raise LoaderError(f"{where}: empty {', '.join(empty)}.")
                rows.append((where, values))
    except FileNotFoundError:
        raise LoaderError(f"Reference file not found: {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise LoaderError(f"Can't read {path}: {error}") from None
    if not rows:
        raise LoaderError(f"{path.name} has no rows.")
    return rows


def _read_meeting_types(path: Path) -> list[tuple[str, str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LoaderError(f"Reference file not found: {path}") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise LoaderError(f"Can't read {path}: {error}") from None
    if not isinstance(data, dict) or not data:
        raise LoaderError(f"{path.name}: expected an object of type codes to translations.")
    types = []
    slugs = {slugify(name) for name, _ in EXTRA_FOCUS_FEATURES}
    for code, names in data.items():
        if not isinstance(names, dict) or not str(names.get("en", "")).strip():
            raise LoaderError(f"{path.name}: type {code!r} has no English name.")
        if len(code) > Feature._meta.get_field("code").max_length:
            raise LoaderError(f"{path.name}: type code {code!r} is too long.")
        name = names["en"].strip()
        if slugify(name) in slugs:
            raise LoaderError(f"{path.name}: two features would share the slug {slugify(name)!r}.")
        slugs.add(slugify(name))
        types.append((code, name, str(names.get("es", "")).strip()))
    return types


def read_reference(directory: Path) -> ReferenceData:
    """Read and validate every reference file; raise LoaderError on the first problem."""
    credentials = []
    for where, row in _read_csv(
        directory / "credential-types.csv",
        CREDENTIAL_COLUMNS,
        ["abbreviation", "name", "issuing_body"],
    ):
        years = row["renewal_years"]
        if years and not years.isdigit():
            raise LoaderError(f"{where}: renewal_years {years!r} is not a whole number.")
        row["renewal_years"] = int(years) if years else None
        _check_url(row["source"], where)
        credentials.append(row)

    crisis_lines = []
    for where, row in _read_csv(
        directory / "crisis-lines.csv",
        CRISIS_COLUMNS + CRISIS_SPANISH_COLUMNS,
        ["country", "name", "phone"],
    ):
        if len(row["country"]) != 2 or not row["country"].isalpha():
            raise LoaderError(f"{where}: country {row['country']!r} is not a two-letter code.")
        row["country"] = row["country"].upper()
        _check_url(row["url"], where)
        crisis_lines.append(row)

    known_types = {slug for slug, _ in SUPPORT_TYPES}
    national = []
    for where, row in _read_csv(
        directory / "national-resources.csv",
        NATIONAL_COLUMNS + NATIONAL_SPANISH_COLUMNS,
        NATIONAL_COLUMNS[:4],
    ):
        slugs = [
            SUPPORT_TYPE_ALIASES.get(value.strip(), value.strip())
            for value in row["support_type"].split(";")
            if value.strip()
        ]
        unknown = [s for s in slugs if s not in known_types]
        if unknown:
            raise LoaderError(f"{where}: unknown support_type {', '.join(unknown)}.")
        if row["attendance"] not in ATTENDANCE:
            raise LoaderError(
                f"{where}: attendance {row['attendance']!r} is not one of "
                + ", ".join(sorted(ATTENDANCE))
                + "."
            )
        _check_url(row["url"], where)
        row["support_types"] = slugs
        national.append(row)

    return ReferenceData(
        meeting_types=_read_meeting_types(directory / "meeting-guide" / "types.json"),
        credential_types=credentials,
        crisis_lines=crisis_lines,
        national_resources=national,
    )


def credential_slug(abbreviation: str, issuing_body: str) -> str:
    """``abbreviation-issuing-body``, cut at a word boundary to fit the column."""
    max_length = CredentialType._meta.get_field("slug").max_length
    slug = slugify(f"{abbreviation} {issuing_body}")
    if len(slug) > max_length:
        slug = slug[: max_length + 1].rsplit("-", 1)[0]
    return slug


# --- Writing -----------------------------------------------------------------------------------


def ensure_support_types(summary: Summary) -> dict[str, SupportType]:
    """The five support types by slug, created with their names if missing.

    ``load_reference`` runs before ``load_article`` (organisations need the types), so it
    creates bare rows; the article loader fills in their text. Existing rows are left alone.
    """
    found = {st.slug: st for st in SupportType.objects.filter(slug__in=dict(SUPPORT_TYPES))}
    for position, (slug, name) in enumerate(SUPPORT_TYPES):
        if slug in found:
            summary["SupportType"].unchanged += 1
        else:
            found[slug] = SupportType.objects.create(slug=slug, name=name, position=position)
            summary["SupportType"].created += 1
    return found


def _load_features(types: list[tuple[str, str, str]], summary: Summary) -> None:
    categories = {}
    for position, (slug, name) in enumerate(FEATURE_CATEGORIES):
        categories[slug] = sync(
            FeatureCategory, {"slug": slug}, {"name": name, "position": position}, summary
        )

    order = {
        code: index
        for codes in MEETING_GUIDE_CATEGORIES.values()
        for index, code in enumerate(codes)
    }
    unmapped = len(order)
    by_code = {f.code: f for f in Feature.objects.exclude(code="")}
    for code, name, name_es in types:
        slug = slugify(name)
        # Adopt a row a curator created by hand with the same slug but no code.
        existing = by_code.get(code) or Feature.objects.filter(slug=slug, code="").first()
        position = order.get(code)
        if position is None:
            position, unmapped = unmapped, unmapped + 1
        sync(
            Feature,
            {"code": code},
            {
                "slug": slug,
                "name": name,
                "name_es": name_es,
                "category": categories[CATEGORY_FOR_CODE.get(code, DEFAULT_CATEGORY)],
                "position": position,
            },
            summary,
            instance=existing,
        )
    for position, (name, name_es) in enumerate(EXTRA_FOCUS_FEATURES, start=100):
        sync(
            Feature,
            {"slug": slugify(name)},
            {
                "name": name,
                "name_es": name_es,
                "category": categories["focus"],
                "code": "",
                "position": position,
            },
            summary,
        )


def load_reference(directory: Path | None = None) -> Summary:
    data = read_reference(directory or default_reference_dir())
    summary = Summary()
    support_types = ensure_support_types(summary)
    _load_features(data.meeting_types, summary)

    for row in data.credential_types:
        sync(
            CredentialType,
            {"abbreviation": row["abbreviation"], "issuing_body": row["issuing_body"]},
            {
                "name": row["name"],
                "slug": credential_slug(row["abbreviation"], row["issuing_body"]),
                "jurisdiction": row["jurisdiction"],
                "renewal_years": row["renewal_years"],
                "public_lookup": row["public_lookup"],
                "source_url": row["source"],
            },
            summary,
        )

    positions: dict[str, int] = {}
    for row in data.crisis_lines:
        position = positions[row["country"]] = positions.get(row["country"], -1) + 1
        sync(
            CrisisLine,
            {"country": row["country"], "name": row["name"]},
            {
                "phone": row["phone"],
                "text": row["text"],
                "url": row["url"],
                "hours": row["hours"],
                "description": row["description"],
                **{column: row[column] for column in CRISIS_SPANISH_COLUMNS},
                "position": position,
            },
            summary,
        )

    for row in data.national_resources:
        online_only = row["attendance"] == "online"
        sync(
            Organization,
            {"slug": slugify(row["name"])},
            {
                "name": row["name"],
                "kind": (
                    Organization.Kind.ONLINE_PLATFORM
                    if online_only
                    else Organization.Kind.FELLOWSHIP
                ),
                "website": row["url"],
                "description": row["description"],
                **{column: row[column] for column in NATIONAL_SPANISH_COLUMNS},
                "attendance": row["attendance"],
                "is_national": True,
                "is_demo": False,
            },
            summary,
            m2m={"support_types": [support_types[s] for s in row["support_types"]]},
        )
    return summary
