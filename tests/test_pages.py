"""Home page, crisis lines, demo labelling, health checks, privacy of anonymous pages."""

import datetime as dt
from html import escape

import pytest
import time_machine

from directory.constants import SUPPORT_TYPES
from directory.models import CrisisLine, SupportType
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def content():
    for position, (slug, name) in enumerate(SUPPORT_TYPES):
        SupportType.objects.create(
            slug=slug, name=name, position=position, summary=f"About {name}."
        )
    CrisisLine.objects.create(country="US", name="988 Suicide & Crisis Lifeline", phone="988")
    CrisisLine.objects.create(country="GB", name="Samaritans", phone="116 123")


def test_home_shows_the_five_support_types_and_the_crisis_lines(client, content):
    html = client.get("/").content.decode()
    for _, name in SUPPORT_TYPES:
        assert escape(name) in html
    assert "988 Suicide &amp; Crisis Lifeline" in html and 'href="tel:988"' in html
    assert "Samaritans" not in html


def test_crisis_lines_follow_the_visitors_country(client, content):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").content.decode()
    assert "Samaritans" in html and 'href="tel:116123"' in html
    html = client.get("/find/?country=GB").content.decode()
    assert "Samaritans" in html
    # A country without lines of its own falls back to the site's default country.
    assert "988" in client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/find/",
        "/find/?when=now&near=Nowhere",
        "/find/print/",
        "/peer-workers/",
        "/support-types/",
        "/learn/",
        "/no-such-page/",
    ],
)
def test_every_page_has_a_crisis_line_and_no_cookies_or_third_party_assets(client, content, url):
    response = client.get(url)
    html = response.content.decode()
    assert 'href="tel:988"' in html
    assert not response.cookies, "anonymous GET pages set no cookies"
    for marker in ('src="http', "src='http", 'href="//', "fonts.googleapis", "cdn."):
        assert marker not in html


def test_demo_data_is_labelled_on_every_page_while_loaded(client, content):
    assert "Demo data" not in client.get("/").content.decode()
    demo = f.listing(name="Fictional group", is_demo=True)
    for url in ["/", "/find/", demo.get_absolute_url(), "/peer-workers/"]:
        assert "Demo data" in client.get(url).content.decode(), url


def test_online_meetings_starting_soon_on_the_home_page(client, content):
    online = f.listing(name="Soon Online", attendance="online")
    f.schedule(
        online, weekday=2, start_time=dt.time(19), end_time=dt.time(20), timezone="America/New_York"
    )
    later = f.listing(name="Much Later", attendance="online")
    f.schedule(later, weekday=5, start_time=dt.time(19), timezone="America/New_York")
    under_way = f.listing(name="Already Going", attendance="online")
    f.schedule(under_way, weekday=2, start_time=dt.time(18), timezone="America/New_York")
    with time_machine.travel(dt.datetime(2026, 11, 24, 23, 30, tzinfo=dt.UTC), tick=False):  # 18:30
        html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Soon Online" in html and "Much Later" not in html
    assert "Already Going" not in html, "starting soon leaves out meetings already under way"
    soon = html[html.index('id="soon-title"') :]
    assert "starts at <time" in soon and ">7 pm</time> Eastern Time" in soon
    assert "America/New_York" not in soon


def test_health_checks(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["database"] == "ok"


def test_static_files_are_served_by_whitenoise(client):
    assert (
        "whitenoise.middleware.WhiteNoiseMiddleware"
        in __import__("django.conf").conf.settings.MIDDLEWARE
    )
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b"--accent" in b"".join(response.streaming_content)


def test_a_missing_page_keeps_the_crisis_line_and_a_way_back(client, content, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert 'href="tel:988"' in html
    assert 'href="/find/"' in html and 'role="search"' in html


def test_a_server_error_page_needs_nothing_but_itself(client, settings):
    """500.html is rendered without a request context: it must not touch the database."""
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in html
    assert 'href="tel:988"' in html and 'href="/"' in html
    assert "{%" not in html


def test_the_only_cookie_is_the_forms_security_cookie(client, content):
    """Suggest and report forms need CSRF protection: one HttpOnly, same-site cookie, no more."""
    listing = f.listing()
    for url in ("/suggest/", f"/resources/{listing.slug}/report/"):
        response = client.get(url)
        assert set(response.cookies) == {"csrftoken"}
        cookie = response.cookies["csrftoken"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not client.get(listing.get_absolute_url()).cookies


def test_favicon_is_our_own_mark(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("img/mark.svg")
    assert "max-age=86400" in response["Cache-Control"]
    assert not response.cookies


@pytest.mark.django_db
def test_every_page_links_the_mark_as_its_icon(client):
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/img/mark.svg" type="image/svg+xml">' in html
    assert 'class="brand-mark"' in html
