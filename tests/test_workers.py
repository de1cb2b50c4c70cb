"""The public peer-worker directory: credential truth, honest facets, no staff-only data."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import Credential, PeerWorker
from directory.peer_workers import search as worker_search
from tests import factories as f
from tests.search_helpers import parse_find_page

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 24)


def page(client, query=""):
    response = client.get("/peer-workers/" + (f"?{query}" if query else ""))
    assert response.status_code == 200
    return parse_find_page(response.content.decode()), response.content.decode()


@pytest.fixture
def workers():
    rng = random.Random(3)
    language = f.feature_category(slug="language", name="Language")
    english = f.feature(language, name="English", slug="english")
    spanish = f.feature(language, name="Spanish", slug="spanish")
    mentors = f.support_type(name="Peer Mentors", slug="peer-mentors")
    companions = f.support_type(name="Sober Companions", slug="sober-companions")
    ncprss = f.credential_type(abbreviation="NCPRSS", slug="ncprss")
    crs = f.credential_type(abbreviation="CRS", slug="crs")
    for i in range(30):
        worker = f.peer_worker(
            display_name=f"Worker {i:02d}",
            support_types=rng.sample([mentors, companions], rng.randint(1, 2)),
            offers_online=rng.random() < 0.5,
            offers_in_person=True,
            accepting_new_clients=rng.random() < 0.7,
        )
        worker.languages.set(rng.sample([english, spanish], rng.randint(0, 2)))
        for ctype in rng.sample([ncprss, crs], rng.randint(0, 2)):
            status = rng.choice(["verified", "verified", "unverified", "revoked"])
            f.credential(
                worker,
                credential_type=ctype,
                verification_status=status,
                expires_on=TODAY + dt.timedelta(days=rng.choice([-30, 0, 90, 400])),
            )
    f.peer_worker(display_name="Hidden draft", status="draft")


@time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    "query",
    [
        "",
        "verified=current",
        "type=peer-mentors&language=spanish",
        "credential=crs&credential=ncprss&mode=online",
        "verified=current&credential=crs&accepting=yes",
        "q=Worker+1&type=sober-companions&mode=in_person",
    ],
)
def test_every_worker_facet_count_equals_the_results_after_clicking_it(client, workers, query):
    found, _ = page(client, query)
    assert "Hidden draft" not in found.result_names
    checked = 0
    for value in found.facet_values:
        after, _ = page(client, value["url"].lstrip("?"))
        assert after.result_count == value["count"], (query, value)
        checked += 1
    assert checked >= 6


def test_a_credential_is_verified_only_while_verified_and_unexpired(client):
    worker = f.peer_worker(display_name="Alex R.")
    f.credential(
        worker,
        credential_type=f.credential_type(abbreviation="NCPRSS"),
        verification_status="verified",
        expires_on=TODAY,
        evidence_note="Saw certificate #SECRET-EVIDENCE",
        references_note="Called SECRET-REFERENCE",
    )
    f.credential(
        worker,
        credential_type=f.credential_type(abbreviation="CRS"),
        verification_status="unverified",
    )
    f.credential(
        worker, credential_type=f.credential_type(abbreviation="PRS"), verification_status="revoked"
    )
    with time_machine.travel(dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC), tick=False):
        html = client.get(worker.get_absolute_url()).content.decode()
        assert "Verified, current until 24 Nov 2026" in html
        assert "Not verified by us" in html and "Revoked or suspended" in html
        assert page(client, "verified=current")[0].result_names == ["Alex R."]
    # The next day nobody has acted, and the credential is shown as expired.
    with time_machine.travel(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC), tick=False):
        html = client.get(worker.get_absolute_url()).content.decode()
        assert "Verified, current" not in html
        assert "Expired 24 Nov 2026" in html
        assert page(client, "verified=current")[0].result_names == []
    for text in ("SECRET-EVIDENCE", "SECRET-REFERENCE"):
        assert text not in html
        assert text not in client.get("/peer-workers/").content.decode()


def test_unpublished_or_unconsented_workers_are_not_public(client):
    draft = f.peer_worker(status="draft")
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get("/peer-workers/nobody/").status_code == 404


def test_the_checklist_beside_the_results_speaks_to_the_person_choosing(client):
    _, html = page(client)
    box = html[html.index('class="checklist-box"') :]
    assert "Choosing a peer worker: three things to check" in box
    for words in ("Their credentials.", "References.", "How they listen."):
        assert words in box
    assert "employees" not in box and "resume" not in box
    assert 'href="/learn/choosing-a-peer-worker/"' in box


def test_distance_filter_on_workers(client):
    f.place(
        name="Boston", search_name="boston", region_code="MA", latitude=42.3601, longitude=-71.0589
    )
    f.peer_worker(display_name="Near", latitude=42.37, longitude=-71.06)
    f.peer_worker(display_name="Far", latitude=40.71, longitude=-74.0)
    assert page(client, "near=Boston&radius=10")[0].result_names == ["Near"]
    assert page(client, "near=Boston&radius=100")[0].result_names == ["Near"]
    assert page(client, "")[0].result_count == 2


def test_worker_page_queries_are_bounded(client, workers):
    with CaptureQueriesContext(connection) as ctx:
        client.get("/peer-workers/?verified=current&language=spanish")
    assert len(ctx.captured_queries) <= 20
    assert Credential.objects.count() > 10


@time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC), tick=False)
def test_worker_page_queries_are_few_and_do_not_grow_with_the_results(
    client, django_assert_max_num_queries
):
    f.place(
        name="Boston", search_name="boston", region_code="MA", latitude=42.3601, longitude=-71.0589
    )
    spanish = f.feature(f.feature_category(slug="language"), name="Spanish", slug="spanish")
    mentors = f.support_type(name="Peer Mentors", slug="peer-mentors")
    crs = f.credential_type(abbreviation="CRS", slug="crs")

    def add_workers(count: int) -> None:
        """Workers with everything a card shows: types, languages, credentials."""
        for _ in range(count):
            worker = f.peer_worker(
                support_types=[mentors], offers_online=True, latitude=42.36, longitude=-71.06
            )
            worker.languages.set([spanish])
            f.credential(worker, credential_type=crs, verification_status="verified")
            f.credential(worker, verification_status="unverified")

    queries = [
        "",
        "verified=current&language=spanish",
        "type=peer-mentors&credential=crs&mode=online",
        "q=Worker",
        "page=2",
    ]

    def count_queries() -> dict[str, int]:
        # Cold: nothing this process read of the worker search before (its _snapshot).
        counts = {}
        for query in queries:
            worker_search._snapshot = None
            with django_assert_max_num_queries(10) as captured:
                found, _ = page(client, query)
            counts[query] = len(captured.captured_queries)
            assert found.result_count == PeerWorker.objects.count()
        # A place adds its look-up (when not found before) and nothing else.
        worker_search._snapshot = None
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            found, _ = page(client, "near=Boston&radius=50")
        assert found.result_count == PeerWorker.objects.count()
        assert len(captured.captured_queries) == counts[""] + 1
        return counts

    add_workers(3)
    few = count_queries()
    add_workers(27)  # more than a page of results
    assert count_queries() == few


@pytest.mark.parametrize(
    "query", ["verified=maybe&mode=teleport&type=x", "radius=abc&page=-1", "q=" + "a" * 3000]
)
def test_bad_worker_parameters_never_fail(client, query):
    assert client.get("/peer-workers/?" + query).status_code == 200


def test_what_the_worker_search_keeps_follows_every_write(client):
    mentors = f.support_type(name="Peer Mentors", slug="peer-mentors")
    f.peer_worker(display_name="Alex", support_types=[mentors])
    worker_search._snapshot = None
    with CaptureQueriesContext(connection) as cold:
        assert page(client, "")[0].result_count == 1
    with CaptureQueriesContext(connection) as warm:
        assert page(client, "")[0].result_count == 1
    # The facet values and members are kept: two queries fewer, the same page.
    assert len(warm.captured_queries) == len(cold.captured_queries) - 2
    f.peer_worker(display_name="Blair", support_types=[mentors])
    found, html = page(client, "")
    assert found.result_count == 2 and "Blair" in html
    PeerWorker.objects.filter(display_name="Alex").update(accepting_new_clients=False)
    assert page(client, "accepting=yes")[0].result_count == 1
