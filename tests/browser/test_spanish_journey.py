"""A visitor's journey on a phone, in English and in Spanish: the home page, a town searched, a
filter ticked (the results update in place), a listing, its report form.

On every page: ``lang`` is the page's language; the interface's words are in that language
(in Spanish, their English is gone); the language switcher goes to the same page in the other
language, search included; no cookie before the form, and the form's own security cookie is
the only one there; no axe violation; no request to another host (the ``page`` fixture's
guard). What curators and feeds wrote (listing names) and the support types' names are data:
they stay English and nothing here asks otherwise.

Each page's checks are collected and reported together at the end, so one run names every
page and word that is wrong; the steps of the journey themselves must work to go on.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.browser.conftest import axe_audit
from tests.browser.find_helpers import PHONE, _count, _mark_document, _same_document, _wait_until

pytestmark = pytest.mark.browser

BROWSER_LOCALE = {"en": "en-US", "es": "es-US"}  # Chromium sends it as Accept-Language
HTML_LANG = {"en": "en-US", "es": "es-US"}
OTHER = {"en": "es", "es": "en"}
SITE_NAME = {"en": "Peer Support Directory", "es": "Directorio de Apoyo entre Pares"}

# (role, English, Spanish): the element the page has in its language and not in the other.
# A name may be a pattern; a Spanish of None only asks that the English be gone.
HOME_WORDS = [
    (
        "heading",
        "Find peer support for addiction recovery",
        "Encuentre apoyo entre pares para la recuperación de adicciones",
    ),
    ("heading", "Types of peer support", "Tipos de apoyo entre pares"),
    ("heading", "Need to talk to someone now?", "¿Necesita hablar con alguien ahora?"),
    ("navigation", "Main", "Principal"),
    ("textbox", "Where", "Dónde"),
    ("button", "Find support", "Buscar apoyo"),
    ("link", "Online meetings now", "Reuniones en línea ahora"),
]
RESULTS_WORDS = [
    ("heading", "Find peer support", "Encuentre apoyo entre pares"),
    (
        "heading",
        re.compile(r"^26 results near Springfield"),
        re.compile(r"^26 resultados cerca de Springfield"),
    ),
    ("search", "Search listings", "Buscar recursos"),
    ("button", "Filter and sort", "Filtrar y ordenar"),
    ("link", "Printable list", "Lista para imprimir"),
]
DIALOG = [("dialog", "Filter and sort", "Filtrar y ordenar")]  # the phone's filters dialog
DIALOG_WORDS = [  # in it, open
    ("button", "Close", "Cerrar"),
    ("combobox", "Sort by", "Ordenar por"),
    ("group", "Day of the week", "Día de la semana"),
    ("checkbox", re.compile(r"^Sunday\b"), re.compile(r"^domingo\b", re.IGNORECASE)),
    ("group", "Time of day", "Hora del día"),
    ("checkbox", re.compile(r"^Evening\b"), None),
]
FILTERED_WORDS = [  # the dialog after a support type is ticked in it
    ("button", "Show 13 results", "Ver 13 resultados"),
]
LISTING_WORDS = [
    ("navigation", "Breadcrumb", "Ruta de navegación"),
    ("heading", "When", "Cuándo"),
    ("link", "Add to calendar", "Agregar al calendario"),
    ("link", "Report a problem with this listing", "Informar un problema con este recurso"),
    ("heading", "Moving?", "¿Se va a mudar?"),
]
REPORT_WORDS = [
    (
        "heading",
        re.compile(r"^Report a problem with “"),
        re.compile(r"^Informar un problema con “"),
    ),
    ("link", "Back to the listing", "Volver al recurso"),
    ("group", "What is wrong?", "¿Qué está mal?"),
    ("textbox", "Your name", "Su nombre"),
    ("textbox", "Your e-mail", "Su correo electrónico"),
    ("button", "Send report", "Enviar informe"),
]


def _say(language: str, english: str, words: list) -> str:
    """The row of ``words`` whose English is ``english``, in ``language``."""
    [spanish] = [row[2] for row in words if row[1] == english]
    return english if language == "en" else spanish


@pytest.fixture
def visitor(language, browser, request):
    """The ``page`` fixture (its third-party guard and error checks), in a browser whose locale
    is the visitor's language, on a phone."""
    new_context = browser.new_context

    def in_the_visitors_language(**options):
        return new_context(**{**options, "locale": BROWSER_LOCALE[language]})

    with pytest.MonkeyPatch.context() as patch:  # only for this test's context
        patch.setattr(browser, "new_context", in_the_visitors_language)
        page = request.getfixturevalue("page")
    page.set_viewport_size(PHONE)
    return page


def _counterpart(path: str, language: str) -> str:
    """The path of the same page in the other language (English unprefixed, Spanish at /es/)."""
    return (path.removeprefix("/es") or "/") if language == "es" else "/es" + path


class Journey:
    """The checks of a journey, kept until the end (``assert not journey.problems``)."""

    def __init__(self, page, language: str):
        self.page = page
        self.language = language
        self.problems: list[str] = []

    def expect(self, condition: bool, message: str) -> None:
        if not condition:
            self.problems.append(f"{urlsplit(self.page.url).path}: {message}")

    def words(self, words: list, within=None) -> None:
        """Each interface word in the page's language; in Spanish, its English gone."""
        scope = self.page if within is None else within
        for role, english, spanish in words:
            said, unsaid = (english, spanish) if self.language == "en" else (spanish, english)
            if said is not None:
                found = scope.get_by_role(role, name=said, exact=True).count()
                self.expect(found > 0, f"no {role} named {_shown(said)}")
            if unsaid is not None:
                found = scope.get_by_role(role, name=unsaid, exact=True).count()
                self.expect(found == 0, f"a {role} is still named {_shown(unsaid)}")

    def page_basics(self, *, cookies_allowed: bool = False) -> None:
        """lang, the title's site name, hreflang links, the switcher, cookies and axe: what every
        page of the journey owes."""
        page, language = self.page, self.language
        lang = page.locator("html").get_attribute("lang")
        self.expect(lang == HTML_LANG[language], f'<html lang="{lang}">')
        title = page.title()
        self.expect(
            title.endswith(SITE_NAME[language]) and SITE_NAME[OTHER[language]] not in title,
            f"the title {title!r} does not end with {SITE_NAME[language]!r}",
        )
        for code in ("en", "es", "x-default"):
            found = page.locator(f'head link[rel=alternate][hreflang="{code}"]').count()
            self.expect(found == 1, f"{found} hreflang={code} links in the head")
        self.switcher_keeps_the_page()
        cookies = page.context.cookies()
        if cookies_allowed:
            # A form's CSRF cookie, and only it (tests/test_pages.py: HttpOnly, same-site).
            names = sorted(cookie["name"] for cookie in cookies)
            self.expect(names in ([], ["csrftoken"]), f"cookies on a form: {names}")
            for cookie in cookies:
                self.expect(
                    cookie["httpOnly"] and cookie["sameSite"] == "Lax",
                    f"the form's cookie is not HttpOnly and same-site: {cookie}",
                )
        else:
            names = [cookie["name"] for cookie in cookies]
            self.expect(not cookies, f"cookies for an anonymous visitor before a form: {names}")
        violations = axe_audit(page)
        self.expect(not violations, violations.report)

    def switcher_keeps_the_page(self) -> None:
        """The header's one switcher link: this page, this search, in the other language."""
        page, other = self.page, OTHER[self.language]
        switch = page.locator("header a.language-switch")
        if switch.count() != 1:
            self.expect(False, f"{switch.count()} language switcher links in the header")
            return
        self.expect(switch.get_attribute("hreflang") == other, "the switcher's hreflang")
        self.expect(switch.get_attribute("lang") == other, "the switcher's lang")
        here = urlsplit(page.url)
        there = urlsplit(switch.get_attribute("href"))
        expected = _counterpart(here.path, self.language)
        self.expect(there.path == expected, f"the switcher goes to {there.path}, not {expected}")
        # The English home's link also says the visitor chose English (lang=en), so the
        # bare root does not send a Spanish browser back to /es/.
        chosen = [("lang", other)] if expected == "/" else []
        self.expect(
            sorted(parse_qsl(there.query)) == sorted(parse_qsl(here.query) + chosen),
            f"the switcher's query {there.query!r} is not the page's {here.query!r}",
        )


def _shown(name) -> str:
    return f"/{name.pattern}/" if isinstance(name, re.Pattern) else f"“{name}”"


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_visitor_on_a_phone_searches_filters_opens_a_listing_and_its_report_form(
    town,  # noqa: F811 - the imported fixture
    visitor,
    language,
):
    page = visitor
    journey = Journey(page, language)
    prefix = "/es" if language == "es" else ""

    # Home: the bare root, where the browser's language decides (a Spanish one goes to /es/).
    response = page.goto(town("/"))
    assert response.status == 200
    assert page.url == town(prefix + "/"), f"a {BROWSER_LOCALE[language]} browser at {page.url}"
    if language == "es":
        redirect = response.request.redirected_from
        assert redirect is not None and redirect.response().status == 302
    journey.words(HOME_WORDS)
    journey.page_basics()

    # A town searched from the home page's search box.
    where = _say(language, "Where", HOME_WORDS)
    page.get_by_role("textbox", name=where, exact=True).fill("Springfield")
    page.get_by_role("button", name=_say(language, "Find support", HOME_WORDS), exact=True).click()
    page.wait_for_url("**/find/?*near=Springfield*")
    assert urlsplit(page.url).path == prefix + "/find/"
    assert _count(page) == 26
    journey.words(RESULTS_WORDS)
    journey.page_basics()

    # A filter ticked in the phone's filters dialog: the results update in place.
    _mark_document(page)
    page.locator(".filters-open").click()
    dialog = page.locator("dialog.filters-dialog")
    assert dialog.is_visible()
    journey.words(DIALOG)
    journey.words(DIALOG_WORDS, within=dialog)
    # A support type, by its value: its name is the support type's, in whichever language.
    dialog.locator("#facet-type input[value=recovery-groups]").check()
    page.wait_for_url("**type=recovery-groups*")
    _wait_until(page, "document.getElementById('results-title').dataset.resultCount == '13'")
    assert _same_document(page), "ticking a filter must not load a new document"
    journey.words(FILTERED_WORDS, within=dialog)
    violations = axe_audit(page)
    journey.expect(not violations, violations.report)
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    opener = page.locator(".filters-open").inner_text()
    expected = "Filter and sort (1)" if language == "en" else "Filtrar y ordenar (1)"
    journey.expect(opener == expected, f"the dialog's opener says {opener!r}, not {expected!r}")
    journey.page_basics()  # the switcher now has the filter in its query too

    # A listing, from the filtered results.
    page.locator(".results-list h3 a").first.click()
    page.wait_for_url("**/resources/**")
    assert urlsplit(page.url).path.startswith(prefix + "/resources/")
    journey.words(LISTING_WORDS)
    journey.page_basics()

    # Its report form: the one page so far that may set a cookie (the form's CSRF cookie).
    report = _say(language, "Report a problem with this listing", LISTING_WORDS)
    page.get_by_role("link", name=report, exact=True).click()
    page.wait_for_url("**/report/")
    assert urlsplit(page.url).path.startswith(prefix + "/resources/")
    journey.words(REPORT_WORDS)
    journey.page_basics(cookies_allowed=True)

    # Back home, the switcher reaches the other language's home page, whatever the browser.
    page.goto(town(prefix + "/"))
    with page.expect_navigation():
        page.locator("header a.language-switch").click()
    other, lang = OTHER[language], page.locator("html").get_attribute("lang")
    journey.expect(
        lang == HTML_LANG[other],
        f'the switcher to {other!r} led to {page.url}, <html lang="{lang}">',
    )

    assert not journey.problems, f"{len(journey.problems)} problem(s) in {language}:\n" + (
        "\n".join(journey.problems)
    )
