"""The edge: every query string is checked before a view reads it.

Views read their GET parameters through ``request.GET`` (the search forms, the HSDS API's
FilterSets, the crisis lines' ``?country=``). ``QueryStringGuard`` removes what no view can use
before any of them sees it:

- control characters (C0, DEL and C1; PostgreSQL text cannot even hold NUL),
- values longer than ``MAX_VALUE_LENGTH`` and names longer than ``MAX_NAME_LENGTH``,
- a name repeated more than ``MAX_VALUES_PER_NAME`` times (the facets' own limit),
- more than ``MAX_NAMES`` distinct names.

HTML pages are then served with the bad parameters ignored (``request.ignored_parameters``
names them for the page's notice); JSON APIs (views marked with ``json_api``) answer 400 with
a JSON error naming the parameter. Checks of meaning (numbers in range, ASCII digits, known
choices, a place that has letters) stay with each parameter's form field or API filter.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.cache import patch_vary_headers

MAX_VALUE_LENGTH = 300
MAX_NAME_LENGTH = 40
MAX_VALUES_PER_NAME = 20
MAX_NAMES = 40

# Tab, line feed and carriage return are whitespace a pasted search may carry; the rest of the
# C0 and C1 control characters (and DEL) have no business in a query.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def json_api(view: Callable) -> Callable:
    """Mark a view as a JSON API: a bad query string is a 400 JSON error, not ignored."""
    view.json_api = True
    return view


def query_problems(params: QueryDict) -> dict[str, str]:
    """Parameter name -> what is wrong with it, for every parameter no view should read."""
    problems: dict[str, str] = {}
    for position, (name, values) in enumerate(params.lists()):
        if position >= MAX_NAMES:
            problems[name] = f"At most {MAX_NAMES} different parameters are accepted."
        elif len(name) > MAX_NAME_LENGTH or _CONTROL.search(name):
            problems[name] = "This parameter name is not accepted."
        elif len(values) > MAX_VALUES_PER_NAME:
            problems[name] = f"{_shown(name)} may be given at most {MAX_VALUES_PER_NAME} times."
        elif any(len(value) > MAX_VALUE_LENGTH for value in values):
            problems[name] = f"{_shown(name)} is longer than {MAX_VALUE_LENGTH} characters."
        elif any(_CONTROL.search(value) for value in values):
            problems[name] = f"{_shown(name)} contains control characters."
    return problems


def _shown(name: str) -> str:
    return _CONTROL.sub("?", name)[:MAX_NAME_LENGTH]


def ignored_parameters(request: HttpRequest) -> list[str]:
    """Names of the parameters the edge removed from this request (for a page's notice)."""
    return getattr(request, "ignored_parameters", [])


class QueryStringGuard:
    """Middleware: cleans ``request.GET`` for pages, refuses a bad one for JSON APIs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        problems = query_problems(request.GET)
        if not problems:
            return None
        if getattr(view_func, "json_api", False):
            name, message = next(iter(problems.items()))
            response = JsonResponse(
                {"error": message, "status": 400, "parameter": _shown(name)}, status=400
            )
            response["Access-Control-Allow-Origin"] = "*"
            return response
        clean = QueryDict(mutable=True)
        for name, values in request.GET.lists():
            if name not in problems:
                clean.setlist(name, values)
        clean._mutable = False
        request.GET = clean
        request.ignored_parameters = sorted(
            _shown(name) for name in problems if len(name) <= MAX_NAME_LENGTH
        )
        return None


# ----------------------------------------------------------------------------- client address


class VaryOnAcceptLanguage:
    """``Vary: Accept-Language`` on a response whose content read that header.

    A page's language comes from its URL, but its crisis lines follow the country of the
    browser's language (``selectors.visitor_country`` marks the request): a shared cache must
    keep one copy per header, or one visitor's country's lines would reach another.
    """

    def __init__(self, get_response: Callable):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "reads_accept_language", False):
            patch_vary_headers(response, ["Accept-Language"])
        return response


class StaffLanguage:
    """The admin in the staff user's language: the one their browser prefers
    (``Accept-Language``) among ``settings.LANGUAGES``, English otherwise.

    The public pages take their language from the URL only; the admin is one set of URLs
    behind a login, never shared between people nor cached, so it follows the preference.
    Django's admin comes translated; this project's own admin labels are English so far.
    """

    def __init__(self, get_response: Callable):
        self.get_response = get_response
        self.prefix = "/admin/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(self.prefix):
            return self.get_response(request)
        from django.utils import translation

        language = translation.get_language_from_request(request)  # header, else English
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        patch_vary_headers(response, ["Accept-Language"])
        response.headers["Content-Language"] = language
        return response


def _parse_address(hop: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """One X-Forwarded-For hop ("203.0.113.5", "203.0.113.5:4711", "[2001:db8::1]:443")."""
    hop = hop.strip().strip('"')
    if hop.startswith("["):
        hop = hop[1:].split("]", 1)[0]
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(hop)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@functools.cache
def _trusted(setting: str) -> tuple[int, tuple]:
    """DIRECTORY_TRUSTED_PROXIES as (count, networks): "" none, "2" a count, or networks."""
    setting = setting.strip()
    if not setting:
        return 0, ()
    if setting.isascii() and setting.isdigit():
        return int(setting), ()
    networks = tuple(
        ipaddress.ip_network(item.strip(), strict=False) for item in setting.split(",")
    )
    return 0, networks


def client_address(request: HttpRequest) -> str:
    """The visitor's address, for the rate limit and the login lockout (one home for both).

    Without trusted proxies it is the connection's address (REMOTE_ADDR) and X-Forwarded-For is
    ignored: anyone can send one. Behind proxies (``DIRECTORY_TRUSTED_PROXIES``) the chain is
    the header's hops followed by REMOTE_ADDR, read from the right: with a count N, the client
    is the hop the N-th proxy saw; with networks, the right-most hop outside them. The hops a
    client wrote itself (to the left) are never read, so rotating them changes nothing. A
    missing or malformed header never fails: the nearest proxy's address is used instead.
    """
    remote = _parse_address(request.META.get("REMOTE_ADDR", "")) or ipaddress.ip_address("0.0.0.0")  # noqa: S104
    count, networks = _trusted(getattr(settings, "DIRECTORY_TRUSTED_PROXIES", ""))
    if not count and not networks:
        return str(remote)
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")[:2000]
    hops = [hop for hop in header.split(",") if hop.strip()][-20:]
    chain = [*hops, str(remote)]  # right-most is the proxy that connected to us
    chosen = remote
    if count:
        # REMOTE_ADDR is proxy 1; the hop it reports is what proxy 1 saw, and so on.
        for position in range(2, min(count, len(chain) - 1) + 2):
            address = _parse_address(chain[-position])
            if address is None:
                break
            chosen = address
        return str(chosen)
    for hop in reversed(chain):
        address = _parse_address(hop)
        if address is None:
            break
        chosen = address
        if not any(address in network for network in networks):
            break
    return str(chosen)
