"""A demo listing's parts: its meeting times, features, name and fields."""

from __future__ import annotations

import datetime as dt

from directory.demo.basics import daypart, fictional_phone, random_uuid
from directory.demo.words import (
    ANCHOR_SUNDAY,
    AUDIENCE_WORDS,
    AUDIENCES,
    COMPANION_SERVICE_NAMES,
    DESCRIPTION_LINES,
    FAMILY_GROUP_NAMES,
    FIRST_NAMES,
    FORMAT_CORES,
    FORMAT_EXTRAS,
    PEER_SERVICE_NAMES,
    RECOVERY_GROUP_NAMES,
    SPANISH_GROUP_NAMES,
    TWELVE_STEP_GROUP_NAMES,
)
from directory.models import (
    Feature,
    Listing,
    Schedule,
)


class ListingParts:
    """The listing half of ``Generator`` (reads ``self.rng``, ``self.ref``, ``self.summary``)."""

    def schedules(self, count, timezone_name, pick_kind, pick_start, pick_duration):
        rng = self.rng
        if not count:
            return []
        weekdays = sorted(rng.sample(range(7), count))
        same_time = rng.random() < 0.7
        start = pick_start()
        length = pick_duration()
        rows = []
        for weekday in weekdays:
            if not same_time:
                start, length = pick_start(), pick_duration()
            end_minutes = start.hour * 60 + start.minute + length
            end = dt.time(end_minutes // 60, end_minutes % 60)  # 21:00 + 90 min at the latest
            kind = pick_kind()
            schedule = Schedule(
                kind=kind,
                weekday=weekday,
                start_time=start,
                end_time=end,
                timezone=timezone_name,
            )
            if kind == "monthly":
                schedule.week_of_month = rng.choice([1, 2, 3, 4, -1])
            elif kind == "interval":
                schedule.interval_weeks = rng.choice([2, 2, 3])
                schedule.anchor_date = ANCHOR_SUNDAY + dt.timedelta(
                    days=weekday + 7 * rng.randrange(52)
                )
            rows.append(schedule)
        return rows

    def features(self, type_slug: str, mode: str, country: str) -> list[Feature]:
        rng = self.rng
        ref = self.ref
        chosen: list[Feature] = []

        def add(category: str, name: str | None = None) -> None:
            options = ref.features.get(category)
            if not options:
                return
            feature = ref.feature(category, name) if name else None
            chosen.append(feature or rng.choice(options))

        # Language: always one.
        roll = rng.random()
        if country == "US" and roll < 0.13:
            add("language", "Spanish")
        elif country == "CA" and roll < 0.15:
            add("language", "French")
        elif roll > 0.985:
            add("language")
        else:
            add("language", "English")
        if type_slug in ("12-step-programs", "family-and-friends"):
            add("format", "Open" if rng.random() < 0.6 else "Closed")
        elif rng.random() < 0.5:
            add("format", "Open")
        if type_slug == "12-step-programs" and rng.random() < 0.7:
            add("format", rng.choice(FORMAT_EXTRAS))
        elif type_slug == "recovery-groups" and rng.random() < 0.4:
            add("format", rng.choice(["Discussion", "Meditation", "Secular"]))
        if mode == "inactive":
            add("format", "Location Temporarily Closed")
        if rng.random() < 0.2:
            add("audience", rng.choice(AUDIENCES))
        if mode in ("in_person", "hybrid") and rng.random() < 0.35:
            add("accessibility", "Wheelchair Access")
        if rng.random() < 0.04:
            add("accessibility", "American Sign Language")
        if rng.random() < 0.25:
            add("focus")
        unique = list(dict.fromkeys(chosen))
        return unique[:5] or [rng.choice(next(iter(ref.features.values())))]

    def listing_name(self, type_slug, chosen, schedules, city, spanish) -> str:
        rng = self.rng
        names = {f.name for f in chosen}
        audience = next((AUDIENCE_WORDS[n] for n in AUDIENCE_WORDS if n in names), "")
        if type_slug == "12-step-programs":
            if spanish:
                return f"Grupo {rng.choice(SPANISH_GROUP_NAMES)}"
            core = next((FORMAT_CORES[n] for n in FORMAT_CORES if n in names), "")
            roll = rng.random()
            if len(schedules) == 1 and roll < 0.5:
                first = schedules[0]
                day = Schedule.Weekday(first.weekday).label
                return f"{day} {daypart(first.start_time)} {core or 'Meeting'}"
            if audience and roll < 0.8:
                return f"{audience} {core or 'Meeting'}"
            if core and city and roll < 0.65:
                return f"{city} {core}"
            return f"{rng.choice(TWELVE_STEP_GROUP_NAMES)} {core or 'Group'}"
        if type_slug == "recovery-groups":
            name = rng.choice(RECOVERY_GROUP_NAMES)
        elif type_slug == "family-and-friends":
            name = rng.choice(FAMILY_GROUP_NAMES)
        elif type_slug == "peer-mentors":
            name = rng.choice(PEER_SERVICE_NAMES)
        else:
            name = rng.choice(COMPANION_SERVICE_NAMES)
        if audience and type_slug == "recovery-groups":
            return f"{audience} {name}"
        if city and rng.random() < 0.3:
            return f"{name}, {city}"
        return name

    def listing(
        self, i, name, type_slug, mode, location, organization, country, city, curator
    ) -> Listing:
        rng = self.rng
        where = f" in {city}" if city else ""
        description = (
            f"Fictional demo listing. {rng.choice(DESCRIPTION_LINES[type_slug])} "
            f"This sample shows how a real listing{where} would look; there is no group to join."
        )
        listing = Listing(
            name=name,
            slug=self.slug(Listing, name, i + 1),
            support_type=self.ref.support_types[type_slug],
            organization=organization,
            description=description,
            attendance=mode,
            location=location,
            is_demo=True,
            uuid=random_uuid(rng),
        )
        if mode in ("online", "hybrid"):
            roll = rng.random()
            if roll < 0.85:
                listing.conference_url = (
                    f"https://meet.example.com/j/{rng.randrange(10**9, 10**10)}"
                )
                if rng.random() < 0.3:
                    listing.conference_url_notes = f"Passcode: {rng.randrange(100000, 999999)}"
            if roll > 0.6:
                phone = fictional_phone(rng, country).replace(" ", "").replace("-", "")
                listing.conference_phone = f"{phone},,{rng.randrange(10**9, 10**10)}#"
                listing.conference_phone_notes = "Dial in, then the meeting ID."
        if rng.random() < 0.55:
            first = rng.choice(FIRST_NAMES)
            listing.contact_name = first
            listing.contact_email = f"{first.lower()}.{i + 1}@example.org"
            if rng.random() < 0.5:
                listing.contact_phone = fictional_phone(rng, country)
        if organization is not None and rng.random() < 0.5:
            listing.website = f"{organization.website}groups/{i + 1}/"
        if type_slug == "sober-companions":
            listing.cost = "fee" if rng.random() < 0.8 else "donation"
        elif type_slug == "peer-mentors":
            listing.cost = rng.choice(["free", "free", "fee"])
        else:
            listing.cost = "donation" if rng.random() < 0.7 else "free"
        if listing.cost == "fee":
            listing.cost_notes = rng.choice(["Sliding scale available.", "Insurance accepted."])
        if rng.random() < 0.93:
            listing.last_verified_at = self.verified_at()
            if rng.random() < 0.5:
                listing.last_verified_by = curator
        return listing
