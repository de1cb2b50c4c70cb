"""Demo peer workers and their credentials."""

from __future__ import annotations

import datetime as dt

from django.utils.text import slugify

from directory.demo.basics import (
    DEMO_CREDENTIAL_PREFIX,
    bulk_insert,
    fictional_phone,
    picker,
    random_uuid,
)
from directory.demo.words import (
    CREDENTIAL_STATES,
    DEMO_CREDENTIAL_TYPES,
    FIRST_NAMES,
)
from directory.models import (
    Credential,
    CredentialType,
    PeerWorker,
)


class WorkerParts:
    """The peer-worker half of ``Generator`` (it uses ``self.rng``, ``self.ref``, ``summary``)."""

    def credential_types(self) -> list[CredentialType]:
        if self.ref.credential_types:
            return self.ref.credential_types
        rows = [
            CredentialType(
                abbreviation=abbreviation,
                name=f"{name} (fictional)",
                slug=f"{DEMO_CREDENTIAL_PREFIX}{slugify(abbreviation)}",
                issuing_body="Demo Certification Board (fictional)",
                renewal_years=years,
                public_lookup="Fictional: there is nothing to look up.",
            )
            for abbreviation, name, years in DEMO_CREDENTIAL_TYPES
        ]
        return bulk_insert(CredentialType, rows, self.summary)

    def workers(self, count: int, orgs, curator) -> None:
        if count <= 0:
            return
        rng = self.rng
        ref = self.ref
        types = self.credential_types()
        english = ref.feature("language", "English")
        spanish = ref.feature("language", "Spanish")
        other_languages = [
            f for f in ref.features.get("language", []) if f not in (english, spanish)
        ]
        employers = [org for org, _ in orgs if org.kind in ("treatment_centre", "community")]
        pick_status = picker(rng, [("published", 90), ("draft", 7), ("archived", 3)])
        pick_state = picker(rng, CREDENTIAL_STATES)
        pick_credential_count = picker(rng, [(0, 20), (1, 50), (2, 25), (3, 5)])

        rows, support, languages, credentials = [], [], [], []
        for i in range(count):
            first = rng.choice(FIRST_NAMES)
            display = f"{first} {chr(ord('A') + rng.randrange(26))}."
            place = self.places.pick()
            lat, lon = self.places.jitter(place, km=5)
            roll = rng.random()
            slugs = (
                ["peer-mentors"]
                if roll < 0.6
                else ["sober-companions"]
                if roll < 0.85
                else ["peer-mentors", "sober-companions"]
            )
            if rng.random() < 0.1:
                slugs.append("family-and-friends")
            online = rng.random() < 0.5
            in_person = not online or rng.random() < 0.6
            worker = PeerWorker(
                display_name=display,
                slug=self.slug(PeerWorker, display, i + 1),
                bio=(
                    "Fictional demo profile: not a real person. "
                    f"Offers {'recovery coaching' if 'peer-mentors' in slugs else 'companionship'}"
                    f" around {place.name}{' and online' if online else ''}."
                ),
                lived_experience=(
                    "Fictional: in recovery since "
                    f"{self.today.year - rng.randint(2, 25)}; "
                    + rng.choice(
                        [
                            "found support in a 12-step fellowship.",
                            "found a path through SMART Recovery.",
                            "recovered with the help of family and a peer mentor.",
                        ]
                    )
                ),
                organization=rng.choice(employers) if employers and rng.random() < 0.4 else None,
                offers_online=online,
                offers_in_person=in_person,
                service_place_id=place.id,
                service_area=f"Greater {place.name}" if rng.random() < 0.5 else place.name,
                country=place.country,
                latitude=lat,
                longitude=lon,
                service_radius_km=rng.choice([10, 15, 25, 40, 80]) if in_person else None,
                accepting_new_clients=rng.random() < 0.8,
                contact_email=f"{first.lower()}.{i + 1}@example.com",
                contact_phone=fictional_phone(rng, place.country),
                website="",
                consent_to_publish=True,
                status=pick_status(),
                is_demo=True,
                uuid=random_uuid(rng),
                last_verified_at=self.verified_at(),
            )
            rows.append(worker)
            support.append(slugs)
            spoken = [english] if english else []
            if spanish and (place.country == "US" and rng.random() < 0.2):
                spoken.append(spanish)
            if other_languages and rng.random() < 0.05:
                spoken.append(rng.choice(other_languages))
            languages.append([f.pk for f in spoken if f is not None])
            credentials.append(
                [
                    (credential_type, pick_state())
                    for credential_type in rng.sample(
                        types, min(pick_credential_count(), len(types))
                    )
                ]
            )

        rows = bulk_insert(PeerWorker, rows, self.summary)
        through = PeerWorker.support_types.through
        bulk_insert(
            through,
            [
                through(peerworker_id=w.pk, supporttype_id=ref.support_types[slug].pk)
                for w, slugs in zip(rows, support, strict=True)
                for slug in slugs
            ],
            self.summary,
            "PeerWorker support types",
        )
        through = PeerWorker.languages.through
        bulk_insert(
            through,
            [
                through(peerworker_id=w.pk, feature_id=feature_id)
                for w, ids in zip(rows, languages, strict=True)
                for feature_id in ids
            ],
            self.summary,
            "PeerWorker languages",
        )
        made = []
        for worker, wanted in zip(rows, credentials, strict=True):
            for credential_type, state in wanted:
                made.append(self.credential(worker, credential_type, state, curator))
        bulk_insert(Credential, made, self.summary)

    def credential(self, worker, credential_type, state, curator) -> Credential:
        rng = self.rng
        today = self.today
        span = dt.timedelta(days=365 * (credential_type.renewal_years or 2))
        if state == "current":
            issued = today - dt.timedelta(days=rng.randrange(30, span.days - 30))
        elif state == "expired":
            issued = today - span - dt.timedelta(days=rng.randrange(10, 700))
        else:
            issued = today - dt.timedelta(days=rng.randrange(30, 2000))
        expires = state == "expired" or credential_type.renewal_years or rng.random() < 0.8
        credential = Credential(
            worker=worker,
            credential_type=credential_type,
            number=f"DEMO-{rng.randrange(100000, 999999)}",
            issued_on=issued,
            expires_on=issued + span if expires else None,
            evidence_note="Fictional demo credential: nothing was checked.",
        )
        if state in ("current", "expired"):
            credential.verification_status = Credential.Verification.VERIFIED
            credential.verification_method = rng.choice(list(Credential.Method.values))
            credential.verified_by = curator
            verified_on = issued + dt.timedelta(days=rng.randrange(1, 60))
            credential.verified_at = dt.datetime.combine(
                min(verified_on, today), dt.time(10), tzinfo=dt.UTC
            )
        elif state == "revoked":
            credential.verification_status = Credential.Verification.REVOKED
        return credential
