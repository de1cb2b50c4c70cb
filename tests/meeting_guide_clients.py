"""What the software people already use does with a Meeting Guide feed, so a test can run our
feed through it.

Written from reading each client's published source (behaviour described in our own words,
no code copied); docs/feeds.md ("Who reads it") says the same in prose.

**TSML UI** (code4recovery/tsml-ui, ``src/helpers/load-meeting-data.ts``), the meeting finder
most intergroup sites embed, loads a feed like this:

1. *Day lists.* Records whose ``day`` is a list are meant to be split into one record per day
   (slug ``<slug>-<day>``), but the originals are removed by position one after another
   while the positions shift, so with more than one such record the wrong records go and some
   lists stay. A list left in ``day`` reaches the date library, which throws "Invalid unit
   value 0,1,2,3": **the whole feed fails to load**.
2. A record without a ``slug``, or with a slug already seen, is dropped.
3. Without ``formatted_address`` it joins ``address``, ``city``, ``state postal_code`` and
   ``country``; when that is empty the record is dropped ("no address information").
4. ``approximate`` "yes" (or, when missing, an address of fewer than four parts) makes the
   meeting "not in person"; a conference link it recognises (a known provider's domain) or a
   phone of ten or more digits makes it online; neither: inactive (still listed).
5. A record with ``day`` and ``time`` needs a ``timezone`` (or the embedding page's setting),
   else it is dropped; one without a day is listed "by appointment".

**12 Step Meeting List** (the WordPress plugin, ``includes/functions_import.php``) imports a
feed row by row and refuses a row with no address information ("No location information
provided"); it splits a ``day`` list into meetings itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CANADA = {"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"}
# A few of the providers TSML UI recognises (its settings.conference_providers).
CONFERENCE_PROVIDERS = ("zoom.us", "meet.google.com", "teams.microsoft.com", "gotomeeting.com")


class TsmlLoadError(Exception):
    """The client shows "Loading error" and no meeting at all."""


@dataclass
class TsmlResult:
    meetings: dict[str, dict] = field(default_factory=dict)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (reason, slug)


def _flatten_days(feed: list[dict]) -> list[dict]:
    data = list(feed)
    added, positions = [], []
    for position, record in enumerate(data):
        if isinstance(record.get("day"), list):
            positions.append(position)
            for day in record["day"]:
                added.append({**record, "day": int(day), "slug": f"{record.get('slug')}-{day}"})
    for position in positions:  # the client's bug: each removal shifts the later positions
        if position < len(data):
            del data[position]
    return data + added


def tsml_ui_load(feed: list[dict], page_timezone: str | None = None) -> TsmlResult:
    """The meetings TSML UI lists for ``feed``, or TsmlLoadError when it lists none."""
    result = TsmlResult()
    for record in _flatten_days(feed):
        slug = record.get("slug")
        if not slug:
            result.dropped.append(("no slug", ""))
            continue
        if slug in result.meetings:
            result.dropped.append(("duplicate slug", slug))
            continue
        formatted = record.get("formatted_address")
        if not formatted:
            country = record.get("country")
            if not country and record.get("state"):
                country = "Canada" if record["state"] in CANADA else "USA"
            state_postal = " ".join(
                str(part) for part in [record.get("state"), record.get("postal_code")] if part
            ).strip()
            parts = [record.get("address"), record.get("city"), state_postal, country]
            formatted = ", ".join(str(p).strip() for p in parts if p and str(p).strip())
            if not formatted:
                result.dropped.append(("no address information", slug))
                continue
        approximate = record.get("approximate")
        if isinstance(approximate, str):
            approximate = approximate.lower() == "yes"
        elif not isinstance(approximate, bool):
            approximate = len(formatted.split(",")) < 4
        url = record.get("conference_url") or ""
        host = url.split("/")[2] if url.count("/") >= 2 else ""
        phone = re.sub(r"[^\d,+#]", "", record.get("conference_phone") or "")
        online = any(host.endswith(p) for p in CONFERENCE_PROVIDERS) or len(phone) >= 10
        types = record.get("types") or []
        in_person = "TC" not in types and not approximate
        day, time = record.get("day"), record.get("time")
        if day is not None and time:
            if isinstance(day, list):
                raise TsmlLoadError(f"Error: Invalid unit value {','.join(map(str, day))}")
            if not (record.get("timezone") or page_timezone):
                result.dropped.append(("has no timezone", slug))
                continue
            if not (isinstance(day, int) and 0 <= day <= 6):
                result.dropped.append(("invalid start", slug))
                continue
            if not re.fullmatch(r"\d{1,2}:\d{2}", str(time)):
                result.dropped.append(("invalid start", slug))
                continue
            when = "weekly"
        else:
            when = "appointment"
        result.meetings[slug] = {
            **record,
            "formatted_address": formatted,
            "approximate": approximate,
            "online": online,
            "in_person": in_person,
            "active": online or in_person,
            "when": when,
        }
    return result


def tsml_plugin_import(feed: list[dict]) -> tuple[list[dict], list[str]]:
    """The rows the 12 Step Meeting List plugin imports, and its errors."""
    imported, errors = [], []
    for record in feed:
        parts = [record.get(k) for k in ("address", "city", "state", "postal_code", "country")]
        if not record.get("formatted_address") and not any(parts):
            errors.append(f"No location information provided for {record.get('name')}.")
            continue
        days = record.get("day") if isinstance(record.get("day"), list) else [record.get("day")]
        imported += [{**record, "day": day} for day in days]
    return imported, errors
