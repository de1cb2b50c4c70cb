"""The guide (/learn/) and the support-type pages: the article's content, 404s, bounded queries."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import escape

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import timezone

from directory.models import FAQ, ChecklistItem, GuideSection, Listing, SupportType
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    call_command("load_article", stdout=io.StringIO())


def get_html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_one_h1_and_no_inline_code(html: str) -> None:
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    # A strict Content-Security-Policy is coming: no inline scripts, styles or handlers.
    assert "<script" not in html and "<style" not in html
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)


def test_the_index_lists_every_section_the_faq_and_the_checklist(client, article):
    html = get_html(client, "/learn/")
    assert_one_h1_and_no_inline_code(html)
    for section in GuideSection.objects.exclude(kind=GuideSection.Kind.QUALIFIED_WORKER):
        assert escape(section.title) in html
        assert f'href="{section.get_absolute_url()}"' in html
    qualified = GuideSection.objects.get(kind=GuideSection.Kind.QUALIFIED_WORKER)
    assert escape(qualified.title) in html
    assert 'href="/learn/choosing-a-peer-worker/"' in html
    assert 'href="/learn/faq/"' in html and 'href="/support-types/"' in html


def test_each_section_shows_its_paragraphs_points_and_list_title(client, article):
    sections = GuideSection.objects.exclude(kind=GuideSection.Kind.QUALIFIED_WORKER)
    assert sections.count() == 9
    for section in sections:
        html = get_html(client, section.get_absolute_url())
        assert_one_h1_and_no_inline_code(html)
        assert f'<h1 id="section-title">{escape(section.title)}</h1>' in html
        for paragraph in section.paragraphs:
            assert f"<p>{escape(paragraph)}</p>" in html, (section.slug, paragraph[:40])
        if section.list_title:
            assert escape(section.list_title.rstrip(":")) in html
        if section.kind == GuideSection.Kind.TYPES:
            continue  # its list is the support types, shown as cards (next test)
        for point in section.points.all():
            assert escape(point.text) in html
            if point.label:
                assert f"<strong>{escape(point.label)}:</strong>" in html


def test_benefits_challenges_strategies_and_family_have_their_labelled_points(client, article):
    challenges = get_html(client, GuideSection.objects.get(kind="challenges").get_absolute_url())
    for label in ["Lack of regulation", "Reliance on external support", "Isolation"]:
        assert f"<strong>{label}:</strong>" in challenges
    # The challenges point to their remedies: the checklist and online meetings.
    assert 'href="/learn/choosing-a-peer-worker/"' in challenges
    assert 'href="/find/?attendance=online"' in challenges
    strategies = get_html(client, GuideSection.objects.get(kind="strategies").get_absolute_url())
    assert "Reframe challenges into opportunities for growth" in strategies
    family = get_html(client, GuideSection.objects.get(kind="family").get_absolute_url())
    for label in ["Emotional Support", "Practical Support", "Vital Role in Recovery Process"]:
        assert f"<strong>{label}:</strong>" in family
    assert 'href="/support-types/family-and-friends/"' in family
    benefits = get_html(client, GuideSection.objects.get(kind="other_treatment").get_absolute_url())
    assert "The Benefits of Peer Support" in benefits


def test_the_types_section_links_each_support_type(client, article):
    html = get_html(client, GuideSection.objects.get(kind="types").get_absolute_url())
    for support_type in SupportType.objects.all():
        assert f'href="/support-types/{support_type.slug}/"' in html
        assert f'href="/find/?type={support_type.slug}"' in html


def test_sections_link_to_their_neighbours(client, article):
    sections = list(GuideSection.objects.all())
    html = get_html(client, sections[1].get_absolute_url())
    assert f'href="{sections[0].get_absolute_url()}" rel="prev"' in html
    assert f'href="{sections[2].get_absolute_url()}" rel="next"' in html


def test_the_faq_page_shows_all_nine_questions_and_answers(client, article):
    html = get_html(client, "/learn/faq/")
    assert_one_h1_and_no_inline_code(html)
    faqs = list(FAQ.objects.all())
    assert len(faqs) == 9
    for faq in faqs:
        assert f'<h2 id="{faq.slug}">{escape(faq.question)}</h2>' in html
        assert f'href="#{faq.slug}"' in html
        assert escape(faq.answer) in html
    assert "How can I identify a qualified peer support worker?" in html


def test_the_checklist_page_shows_the_three_items_and_links_to_peer_workers(client, article):
    html = get_html(client, "/learn/choosing-a-peer-worker/")
    assert_one_h1_and_no_inline_code(html)
    assert "<h1>How to identify a qualified peer support worker</h1>" in html
    items = list(ChecklistItem.objects.all())
    assert [item.title for item in items] == [
        "Check Credentials",
        "References",
        "Empathy & Understanding",
    ]
    for item in items:
        assert f"<strong>{escape(item.title)}.</strong> {escape(item.text)}" in html
    section = GuideSection.objects.get(kind=GuideSection.Kind.QUALIFIED_WORKER)
    for paragraph in section.paragraphs:
        assert f"<p>{escape(paragraph)}</p>" in html
    assert 'href="/peer-workers/"' in html


def test_the_qualified_worker_section_is_the_checklist_page(client, article):
    section = GuideSection.objects.get(kind=GuideSection.Kind.QUALIFIED_WORKER)
    response = client.get(section.get_absolute_url())
    assert response.status_code == 302 and response["Location"] == "/learn/choosing-a-peer-worker/"


def test_the_checklist_include_works_beside_other_pages_results(article):
    html = render_to_string(
        "includes/checklist.html", {"checklist": list(ChecklistItem.objects.all())}
    )
    assert html.strip().startswith("<aside")
    assert "How to identify a qualified peer support worker" in html
    assert html.count("<li>") == 3
    assert 'href="/learn/choosing-a-peer-worker/"' in html


def test_each_support_type_page_shows_the_articles_text_and_a_find_link(client, article):
    types = list(SupportType.objects.all())
    assert len(types) == 5
    list_html = get_html(client, "/support-types/")
    assert_one_h1_and_no_inline_code(list_html)
    for support_type in types:
        assert f'href="/support-types/{support_type.slug}/"' in list_html
        html = get_html(client, f"/support-types/{support_type.slug}/")
        assert_one_h1_and_no_inline_code(html)
        assert f"<h1>{escape(support_type.name)}</h1>" in html
        assert support_type.body
        for paragraph in support_type.body.split("\n\n"):
            assert escape(paragraph.strip()).replace("\n", "<br>") in html
        assert f'class="button" href="/find/?type={support_type.slug}"' in html


def test_one_to_one_types_link_to_peer_workers_and_the_checklist(client, article):
    html = get_html(client, "/support-types/peer-mentors/")
    assert 'href="/peer-workers/?type=peer-mentors"' in html
    assert 'href="/learn/choosing-a-peer-worker/"' in html
    assert "/peer-workers/?type=" not in get_html(client, "/support-types/12-step-programs/")


def test_the_family_type_links_the_family_and_friends_guide(client, article):
    html = get_html(client, "/support-types/family-and-friends/")
    family = GuideSection.objects.get(kind=GuideSection.Kind.FAMILY)
    assert f'href="{family.get_absolute_url()}"' in html


def test_a_type_lists_its_real_national_fellowships_with_official_links(client, article):
    family = SupportType.objects.get(slug="family-and-friends")
    twelve = SupportType.objects.get(slug="12-step-programs")
    al_anon = f.organization(name="Al-Anon Family Groups", website="https://al-anon.org/")
    al_anon.is_national = True
    al_anon.save()
    al_anon.support_types.add(family)
    aa = f.organization(
        name="Alcoholics Anonymous", website="https://www.aa.org/", is_national=True
    )
    aa.support_types.add(twelve)
    local = f.organization(name="Springfield Family Circle", website="https://local.example.org/")
    local.support_types.add(family)
    html = get_html(client, "/support-types/family-and-friends/")
    assert '<a href="https://al-anon.org/" rel="noopener">Al-Anon Family Groups</a>' in html
    assert "Alcoholics Anonymous" not in html and "Springfield Family Circle" not in html


def test_a_type_previews_its_six_most_recently_verified_published_listings(client, article):
    family = SupportType.objects.get(slug="family-and-friends")
    now = timezone.now()
    for days in range(8):
        f.listing(
            name=f"Family group verified {days} days ago",
            support_type=family,
            last_verified_at=now - dt.timedelta(days=days),
        )
    never = f.listing(name="Family group never verified", support_type=family)
    Listing.objects.filter(pk=never.pk).update(last_verified_at=None)
    f.listing(name="Draft family group", support_type=family, status="draft")
    f.listing(name="A recovery group", support_type=SupportType.objects.get(slug="recovery-groups"))
    html = get_html(client, "/support-types/family-and-friends/")
    shown = re.findall(r'<a href="/resources/[^"]+/">([^<]+)</a>', html)
    assert shown == [f"Family group verified {days} days ago" for days in range(6)]
    assert "Draft family group" not in html and "A recovery group" not in html


@pytest.mark.parametrize(
    "url", ["/learn/no-such-section/", "/support-types/no-such-type/", "/support-types/faq/"]
)
def test_unknown_slugs_are_404(client, article, url):
    assert client.get(url).status_code == 404


def test_pages_work_before_the_article_is_loaded(client):
    for url in ["/learn/", "/learn/faq/", "/learn/choosing-a-peer-worker/", "/support-types/"]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("url", "most"),
    [
        # Each page's own queries plus the context processors' three (crisis lines, demo flags).
        ("/learn/", 4),
        ("/learn/faq/", 4),
        ("/learn/choosing-a-peer-worker/", 5),
        ("/learn/the-role-of-family-and-friends-in-peer-support-for-addiction-recovery/", 6),
        ("/learn/exploring-different-types-of-peer-support/", 7),
        ("/support-types/", 5),
        ("/support-types/family-and-friends/", 7),
        ("/support-types/12-step-programs/", 6),
    ],
)
def test_query_counts_are_bounded(client, article, django_assert_max_num_queries, url, most):
    for support_type in SupportType.objects.all():
        for _ in range(8):
            f.listing(support_type=support_type, organization=f.organization())
        national = f.organization(is_national=True, website="https://fellowship.example.org/")
        national.support_types.add(support_type)
    with django_assert_max_num_queries(most):
        client.get(url)
