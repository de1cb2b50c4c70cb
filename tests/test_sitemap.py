"""sitemap.xml, robots.txt and the meta tags that make a shared listing link preview well."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from directory.models import GuideSection
from tests import factories
from tests.feeds_helpers import weekly_meeting

pytestmark = pytest.mark.django_db
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locations(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own response
    return [loc.text for loc in root.iterfind(".//s:loc", NS)]


def all_urls(client) -> list[str]:
    urls = []
    for section in locations(client, "/sitemap.xml"):
        urls += locations(client, section.removeprefix("http://testserver"))
    return urls


def test_sitemap_lists_every_public_page_and_nothing_private(client):
    listing = weekly_meeting(slug="tuesday-group")
    draft = weekly_meeting(slug="draft-group", status="draft")
    support = factories.support_type(slug="recovery-groups", name="Recovery Groups")
    worker = factories.peer_worker(slug="sam-r")
    hidden_worker = factories.peer_worker(
        slug="no-consent", status="draft", consent_to_publish=False
    )
    section = GuideSection.objects.create(
        slug="benefits", title="Benefits", kind=GuideSection.Kind.BENEFITS, body="Text."
    )

    sections = locations(client, "/sitemap.xml")
    urls = all_urls(client)

    assert "http://testserver/sitemap-resources.xml" in sections
    assert f"http://testserver/resources/{listing.slug}/" in urls
    assert f"http://testserver/support-types/{support.slug}/" in urls
    assert f"http://testserver/peer-workers/{worker.slug}/" in urls
    assert f"http://testserver{section.get_absolute_url()}" in urls
    assert "http://testserver/" in urls and "http://testserver/find/" in urls
    assert not any(draft.slug in url or hidden_worker.slug in url for url in urls)
    assert not any("/admin/" in url for url in urls)
    assert len(urls) == len(set(urls))


def test_sitemap_urls_answer_200(client):
    weekly_meeting(slug="tuesday-group")
    factories.support_type(slug="recovery-groups", name="Recovery Groups")
    for url in all_urls(client):
        path = url.removeprefix("http://testserver")
        assert client.get(path).status_code == 200, path


def test_sitemap_query_count_is_bounded(client, django_assert_max_num_queries):
    for _ in range(30):
        weekly_meeting()
    # Count and page of listings, plus the site-wide context processor's three.
    with django_assert_max_num_queries(5):
        assert client.get("/sitemap-resources.xml").status_code == 200
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Allow: /" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_opengraph_include():
    listing = weekly_meeting(
        slug="tuesday-group", name="Tuesday Night <Group>", description="A friendly open meeting."
    )
    request = RequestFactory().get("/resources/tuesday-group/")
    html = render_to_string("includes/opengraph.html", {"listing": listing}, request=request)
    assert '<meta property="og:title" content="Tuesday Night &lt;Group&gt;">' in html
    assert 'content="http://testserver/resources/tuesday-group/"' in html
    assert "A friendly open meeting." in html
    assert "Springfield" in html
    assert 'rel="canonical"' in html


def test_listing_page_carries_the_meta_tags_and_feed_link(client):
    weekly_meeting(slug="tuesday-group", name="Tuesday group")
    html = client.get("/resources/tuesday-group/").content.decode()
    assert '<meta property="og:title" content="Tuesday group">' in html
    assert 'title="Meetings Feed" href="/meetings.json"' in html
    assert 'href="/resources/tuesday-group.ics"' in html
