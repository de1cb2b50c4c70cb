"""The links a results page builds in Python (``facets.QueryLinks``) are exactly what
Django's ``{% querystring %}`` tag writes for the same change, on any query string."""

from __future__ import annotations

from django.http import QueryDict
from django.template import Context, Template
from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.search.facets import QueryLinks

KEYS = ["q", "near", "type", "page", "view", "attendance", "a b", "é", "&", "tz"]
VALUES = st.text(min_size=0, max_size=8)
CHANGE = st.one_of(
    st.none(),
    VALUES,
    st.integers(min_value=0, max_value=99),
    st.lists(st.one_of(VALUES, st.none()), max_size=3),
    st.tuples(VALUES, VALUES),
)


def tag_output(query: QueryDict, params: dict) -> str:
    request = RequestFactory().get("/find/")
    request.GET = query
    template = Template("{% querystring current params %}")
    return template.render(Context({"request": request, "current": query, "params": params}))


@settings(max_examples=300, deadline=None)
@given(
    current=st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=6),
    params=st.dictionaries(st.sampled_from(KEYS), CHANGE, max_size=4),
)
def test_a_link_is_what_the_querystring_tag_writes(current, params):
    query = QueryDict(mutable=True)
    for key, value in current:
        query.appendlist(key, value)
    # The tag's output is HTML-escaped in the template; the link is escaped when drawn.
    expected = tag_output(query, params).replace("&amp;", "&")
    assert QueryLinks(query).url(params) == expected


def test_the_links_of_a_page():
    query = QueryDict("q=hope&type=a&type=b&page=3&view=map")
    links = QueryLinks(query)
    assert links.url({"view": None}) == "?q=hope&type=a&type=b&page=3"
    assert links.url({"type": ["b"], "page": None}) == "?q=hope&type=b&view=map"
    assert links.url({"attendance": "online", "near": None}) == (
        "?q=hope&type=a&type=b&page=3&view=map&attendance=online"
    )
