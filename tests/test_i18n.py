"""Languages: the language is in the URL (English unprefixed, Spanish under /es/), the bare
root alone follows the browser, no cookie is ever set for it, and machines' URLs have one
address whatever the language."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests import factories
from tests.feeds_helpers import weekly_meeting

pytestmark = pytest.mark.django_db
SPANISH_BROWSER = "es-MX,es;q=0.9,en;q=0.5"


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}


@pytest.mark.parametrize("query", ["", "?q=grupo&near=Denver%2C+CO"])
def test_the_bare_root_sends_a_spanish_browser_to_the_spanish_home_with_its_query(client, query):
    response = client.get("/" + query, HTTP_ACCEPT_LANGUAGE=SPANISH_BROWSER)
    assert response.status_code == 302
    assert response["Location"] == "/es/" + query
    assert "accept-language" in vary(response)
    assert not response.cookies


@pytest.mark.parametrize("browser", ["", "en-US,en;q=0.9", "de-DE,de;q=0.9", "*", "xx;q=oops"])
def test_the_bare_root_answers_in_english_for_every_other_browser_and_says_it_varies(
    client, browser
):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=browser)
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert "accept-language" in vary(response)
    assert not response.cookies


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("/find/", "en"),
        ("/es/find/", "es"),
        ("/es/", "es"),
        ("/learn/", "en"),
        ("/es/learn/", "es"),
    ],
)
@pytest.mark.parametrize("browser", ["en-US", SPANISH_BROWSER, "fr"])
def test_every_other_url_answers_in_its_own_language_whatever_the_browser_says(
    client, path, language, browser
):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=browser)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert not response.cookies
    assert "sessionid" not in client.cookies and "django_language" not in client.cookies


def test_a_listing_and_its_calendar_have_a_spanish_address(client):
    listing = weekly_meeting(slug="tuesday-group")
    assert client.get(f"/es/resources/{listing.slug}/").status_code == 200
    assert client.get(f"/es/resources/{listing.slug}.ics").status_code == 200
    assert client.get(f"/es/resources/{listing.slug}/report/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/meetings.json", "/hsds/services", "/sitemap.xml", "/robots.txt", "/healthz"]
)
def test_what_machines_read_has_one_address(client, path):
    assert client.get(path).status_code == 200
    assert client.get("/es" + path).status_code == 404


def test_the_sitemap_lists_each_page_in_both_languages_with_hreflang_alternates(client):
    listing = weekly_meeting(slug="tuesday-group")
    factories.support_type(slug="recovery-groups", name="Recovery Groups")
    sitemap = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    xhtml = "{http://www.w3.org/1999/xhtml}link"
    entries = {}
    for section in ["pages", "resources", "support-types"]:
        response = client.get(f"/sitemap-{section}.xml")
        assert response.status_code == 200
        root = ET.fromstring(response.content)  # noqa: S314 - our own response
        for url in root.iterfind("s:url", sitemap):
            alternates = {link.get("hreflang"): link.get("href") for link in url.iter(xhtml)}
            entries[url.find("s:loc", sitemap).text] = alternates
    english = f"http://testserver/resources/{listing.slug}/"
    spanish = f"http://testserver/es/resources/{listing.slug}/"
    expected = {"en": english, "es": spanish, "x-default": english}
    assert entries[english] == expected
    assert entries[spanish] == expected
    assert entries["http://testserver/es/find/"]["en"] == "http://testserver/find/"


@pytest.mark.parametrize(
    ("path", "other", "other_path", "lang"),
    [
        (
            "/find/?q=grupo&near=Denver%2C+CO",
            "es",
            "/es/find/?q=grupo&amp;near=Denver%2C+CO",
            "en-US",
        ),
        (
            "/es/find/?q=grupo&type=twelve-step",
            "en",
            "/find/?q=grupo&amp;type=twelve-step",
            "es-US",
        ),
        ("/learn/", "es", "/es/learn/", "en-US"),
    ],
)
def test_every_page_links_to_itself_in_the_other_language_keeping_the_search(
    client, path, other, other_path, lang
):
    html = client.get(path).content.decode()
    assert f'<html lang="{lang}">' in html
    # The switcher: a plain link, in its own language.
    assert f'href="{other_path}" hreflang="{other}" lang="{other}"' in html
    # hreflang alternates for both languages and x-default, absolute.
    head = html.split("</head>", 1)[0]
    for code in ("en", "es", "x-default"):
        assert f'<link rel="alternate" hreflang="{code}" href="http://testserver/' in head


def test_features_are_named_in_the_pages_language_where_the_types_list_has_it(client):
    """Facets, cards and the listing page say "Mujeres" on the Spanish pages (the Meeting
    Guide types list's Spanish), "Women" on the English ones; a feature without a Spanish
    name keeps its English one."""
    from tests.search_helpers import EVERY_KIND

    women = factories.feature("audience", name="Women", name_es="Mujeres", slug="women")
    plain = factories.feature("audience", name="Newcomers welcome", slug="newcomers")
    listing = weekly_meeting(slug="tuesday-group")
    listing.features.add(women, plain)

    english = client.get(f"/find/?{EVERY_KIND}").content.decode()
    spanish = client.get(f"/es/find/?{EVERY_KIND}").content.decode()
    assert english.count("Women") >= 2 and "Mujeres" not in english  # facet and card
    assert spanish.count("Mujeres") >= 2 and ">Women<" not in spanish
    assert "Newcomers welcome" in spanish
    page = client.get(f"/es/resources/{listing.slug}/").content.decode()
    assert "<li>Mujeres</li>" in page and "<li>Newcomers welcome</li>" in page
    assert "<li>Women</li>" in client.get(f"/resources/{listing.slug}/").content.decode()


def test_a_spanish_page_says_it_varies_with_the_header_its_crisis_lines_follow(client):
    """The language is the URL's, but the crisis lines follow the browser's country: the
    response must say Vary: Accept-Language (unless ?country= chose it)."""
    assert "accept-language" in vary(client.get("/es/find/", HTTP_ACCEPT_LANGUAGE="es-MX"))
    assert "accept-language" not in vary(client.get("/es/find/?country=MX"))


def test_crisis_lines_say_how_to_get_help_in_spanish_on_the_spanish_pages(client):
    from directory.loaders.reference import load_reference

    load_reference()
    spanish = client.get("/es/", HTTP_ACCEPT_LANGUAGE="es-US").content.decode()
    assert "988 Línea de Prevención del Suicidio y Crisis" in spanish
    assert "marque 2 para hablar en español" in spanish
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "988 Suicide &amp; Crisis Lifeline" in english and "Línea" not in english


def test_the_switcher_reaches_the_english_home_from_a_spanish_browser(client):
    """The bare root sends a Spanish browser to /es/; the switcher's English link says the
    visitor chose English, so it is not sent back."""
    page = client.get("/es/", HTTP_ACCEPT_LANGUAGE=SPANISH_BROWSER).content.decode()
    assert 'href="/?lang=en" hreflang="en"' in page
    response = client.get("/?lang=en", HTTP_ACCEPT_LANGUAGE=SPANISH_BROWSER)
    assert response.status_code == 200 and response["Content-Language"] == "en"
    # hreflang still names the plain root for English and x-default.
    assert '<link rel="alternate" hreflang="en" href="http://testserver/">' in page


def test_a_listings_own_words_say_their_language_when_it_is_not_the_pages(client):
    """Curators write in English unless the meetings are in Spanish (and not English): on a
    Spanish page an English name says lang="en"; on an English page a Spanish one says "es"."""
    from tests.search_helpers import EVERY_KIND

    spanish = factories.feature("language", name="Spanish", name_es="Español", slug="spanish")
    grupo = weekly_meeting(slug="grupo", name="Grupo Esperanza", description="Reunión abierta.")
    grupo.features.add(spanish)
    weekly_meeting(slug="hope", name="Tuesday Hope", description="An open meeting.")

    spanish_page = client.get(f"/es/find/?{EVERY_KIND}").content.decode()
    assert 'lang="en">Tuesday Hope</a>' in spanish_page
    assert re.search(r'href="/es/resources/grupo/[^"]*">Grupo Esperanza</a>', spanish_page)
    english_page = client.get(f"/find/?{EVERY_KIND}").content.decode()
    assert 'lang="es">Grupo Esperanza</a>' in english_page
    assert re.search(r'href="/resources/hope/[^"]*">Tuesday Hope</a>', english_page)
    listing = client.get("/es/resources/hope/").content.decode()
    assert (
        '<span lang="en">Tuesday Hope</span>' in listing and '<div lang="en"><p>An open' in listing
    )
    assert "<span>Grupo Esperanza</span>" in client.get("/es/resources/grupo/").content.decode()


@pytest.mark.parametrize("template", ["500.html", "503.html", "404_plain.html"])
def test_the_plain_error_pages_speak_the_pages_language(template):
    """Rendered without the site's context (a broken database, an unhandled error), they
    still follow the request's language, lang attribute included."""
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("es"):
        html = render_to_string(template)
    assert '<html lang="es-US">' in html
    with translation.override("en"):
        assert '<html lang="en-US">' in render_to_string(template)


def test_the_national_fellowships_descriptions_are_ours_in_spanish(client):
    """national-resources.csv carries our own Spanish for each description (description_es,
    loaded like the crisis lines'); the fellowships' own names stay English and say so."""
    from django.core.management import call_command

    from directory.models import Organization

    call_command("load_reference", verbosity=0)
    national = Organization.objects.filter(is_national=True)
    assert national.count() == 13 and not national.filter(description_es="").exists()
    spanish = client.get("/es/support-types/12-step-programs/").content.decode()
    assert '<a href="https://www.aa.org" rel="noopener" lang="en">Alcoholics Anonymous</a>' in (
        spanish
    )
    assert "<p>Comunidad de doce pasos para personas en recuperación de la adicción" in spanish
    assert "Twelve-step fellowship" not in spanish
    english = client.get("/support-types/12-step-programs/").content.decode()
    assert '<a href="https://www.aa.org" rel="noopener">Alcoholics Anonymous</a>' in english
    assert "<p>Twelve-step fellowship for people recovering from drug addiction" in english


def test_a_fellowship_without_spanish_shows_its_english_marked_as_english(client):
    support_type = factories.support_type(slug="recovery-circles")
    fellowship = factories.organization(
        name="Circle Recovery", is_national=True, description="A circle of peers."
    )
    fellowship.support_types.add(support_type)
    spanish = client.get("/es/support-types/recovery-circles/").content.decode()
    assert '<p lang="en">A circle of peers.</p>' in spanish
    fellowship.description_es = "Un círculo de pares."
    fellowship.save()
    spanish = client.get("/es/support-types/recovery-circles/").content.decode()
    assert "<p>Un círculo de pares.</p>" in spanish


def test_recently_verified_names_and_the_report_heading_say_the_listings_language(client):
    """As cards do: a listing's name carries lang when its language is not the page's."""
    spanish = factories.feature("language", name="Spanish", name_es="Español", slug="spanish")
    support_type = factories.support_type(slug="mutual-aid")
    grupo = factories.listing(slug="grupo", name="Grupo Esperanza", support_type=support_type)
    grupo.features.add(spanish)
    factories.listing(slug="hope", name="Tuesday Hope & Co", support_type=support_type)

    spanish_page = client.get("/es/support-types/mutual-aid/").content.decode()
    assert '<span lang="en">Tuesday Hope &amp; Co</span></a>' in spanish_page
    assert '">Grupo Esperanza</a>' in spanish_page
    english_page = client.get("/support-types/mutual-aid/").content.decode()
    assert '<span lang="es">Grupo Esperanza</span></a>' in english_page
    assert '">Tuesday Hope &amp; Co</a>' in english_page

    report = client.get("/es/resources/hope/report/").content.decode()
    assert re.search(r'<h1>[^<]*“<span lang="en">Tuesday Hope &amp; Co</span>”</h1>', report)
    assert re.search(
        r"<h1>[^<]*“Grupo Esperanza”</h1>",
        client.get("/es/resources/grupo/report/").content.decode(),
    )
    english = client.get("/resources/grupo/report/").content.decode()
    assert '<h1>Report a problem with “<span lang="es">Grupo Esperanza</span>”</h1>' in english
    assert "<title>Report a problem: Grupo Esperanza" in english  # no markup in the title


@pytest.mark.parametrize(
    ("prefix", "one", "many"),
    [
        ("", "(within 1 mile)", "(within 25 miles)"),
        ("/es", "(a menos de 1 milla)", "(a menos de 25 millas)"),
    ],
)
def test_the_place_filter_says_mile_or_miles(client, prefix, one, many):
    """The active place filter agrees with its radius, in both languages."""
    factories.place(name="Springfield", search_name="springfield", region_code="IL")
    near = client.get(f"{prefix}/find/?near=Springfield&radius=1").content.decode()
    assert one in near
    wide = client.get(f"{prefix}/find/?near=Springfield&radius=25").content.decode()
    assert many in wide
