"""The keyword arm of the differential test: the index's keyword search against the oracle's SQL.

For the demo data plus listings with the messy text real feeds carry (hyphens, apostrophes,
accents, other scripts, numbers, web addresses, repeated words, stop words), and for keywords
people type (the data's most frequent words, two of them, typos, quotes, "or", "-", accents,
other scripts), the listings matched and each one's rank equal the oracle's
(``tests.oracle.keyword_sql``: PostgreSQL's full text and trigram operators on every row).
On SQLite, which has no full text, the index's lexemes and queries come from Python
(``analysis.analyse``, ``analysis.websearch``): the PostgreSQL-only tests below check that they
are PostgreSQL's, on the demo data and the messy text, and for every typed keyword. The order
on the page is the rank, then name.
"""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.models import Listing
from directory.search import analysis, keywords, tsquery
from directory.search.freshness import search_index
from directory.search.query import keyword_mask
from tests import factories as f
from tests.oracle import keyword_sql

pytestmark = pytest.mark.django_db

MESSY = [
    ("12-Step Study Group", "A 12-step meeting; we read the Big Book at 7pm."),
    ("Well-being Women's Circle", "Women's well-being, self-care & recovery."),
    ("Café Serenidad", "Grupo de recuperación en español. Reunión los martes."),
    ("Группа Надежда", "Встреча анонимных алкоголиков по-русски."),
    ("日本語のミーティング", "オンラインで毎週。"),
    ("O'Brien's Big Book", "Big book study: chapters 1-5, 'How It Works'."),
    ("AA.org online", "See https://aa.org/meetings or write to info@aa.example.org."),
    ("Meeting meeting MEETING", "meeting " * 40),
    ("The", "It is what it is."),
    ("Recovery Dharma", "Buddhist-inspired recovery; meditation and inquiry."),
    ("SMART Recovery", "Self-Management And Recovery Training. Tools for recovery."),
    ("Naïve Hope Group", "A newcomer-friendly group of hope."),
]
TYPED = [
    "group",
    "meeting",
    "recovery",
    "group meeting",
    "big book",
    '"big book"',
    "12-step",
    "12 step",
    "recovry",
    "meetng",
    "grop",
    "women's",
    "well-being",
    "café",
    "cafe",
    "надежда",
    "日本語",
    "-group",
    "hope or serenity",
    "hope -group",
    "the",
    "a",
    "aa.org",
    "Meeting meeting MEETING",
    "SMART",
    "smart recovery",
    "'",
    "serenity prayer",
]


@pytest.fixture
def data(reference):  # noqa: F811 - the imported fixture
    call_command("generate_demo", listings=120, seed=5, verbosity=0)
    for name, description in MESSY:
        f.listing(name=name, description=description)
    return Listing.objects.count()


def frequent_words(limit: int = 20) -> list[str]:
    """The words that occur in the most listings' names and descriptions."""
    counts: dict[str, int] = {}
    for name, description in Listing.objects.values_list("name", "description"):
        for word in {w.strip(".,;:!?()'\"").lower() for w in f"{name} {description}".split()}:
            if word.isalpha():
                counts[word] = counts.get(word, 0) + 1
    return sorted(counts, key=lambda w: (-counts[w], w))[:limit]


def typo(word: str, seed: int) -> str:
    if len(word) < 4:
        return word
    i = 1 + seed % (len(word) - 2)
    return (
        word[:i] + word[i + 1 :] if seed % 2 else word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    )


def assert_agrees(keyword: str) -> None:
    index = search_index()
    mask, ranks = keyword_mask(index, keyword, with_rank=True)
    matches, rank = keyword_sql.keyword_filter_and_rank(keyword)
    expected = dict(
        Listing.objects.published()
        .exclude(attendance=Listing.Attendance.INACTIVE)
        .filter(matches)
        .annotate(r=rank)
        .values_list("pk", "r")
    )
    got = dict(zip(index.ids[mask].tolist(), ranks[mask].tolist(), strict=True))
    assert set(got) == set(expected), keyword
    assert got == expected, keyword
    unranked, none = keyword_mask(index, keyword, with_rank=False)
    assert none is None and (unranked == mask).all(), keyword


def test_typed_keywords_agree_with_the_oracle(data):
    words = frequent_words()
    assert len(words) == 20
    for keyword in [*TYPED, *words, *(typo(w, i) for i, w in enumerate(words))]:
        assert_agrees(keyword)
    for first, second in zip(words, words[1:], strict=False):
        assert_agrees(f"{first} {second}")


VOCABULARY = ["group", "meeting", "recovery", "hope", "women", "big", "book", "step", "12"]
VOCABULARY += ["café", "Надежда", "日本語", "serenity", "the", "and", "newcomer", "smart"]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    words=st.lists(
        st.one_of(
            st.sampled_from(VOCABULARY),
            st.builds(typo, st.sampled_from(VOCABULARY), st.integers(0, 20)),
            st.text(alphabet=st.sampled_from(list("aeioubgmrst -'\"éñ")), max_size=8),
        ),
        min_size=1,
        max_size=3,
    ),
    joiner=st.sampled_from([" ", " or ", " -", "-", ' "']),
)
def test_generated_keywords_agree_with_the_oracle(data, words, joiner):
    assert_agrees(joiner.join(words))


def test_listings_with_every_word_come_first(data):
    """Relevance: a listing with both words, in its name, is first; every listing with both
    words ranks above every listing with one (a name similar to the keyword)."""
    index = search_index()
    mask, ranks = keyword_mask(index, "smart recovery", with_rank=True)
    order = np.flatnonzero(mask)[np.argsort(-ranks[mask], kind="stable")]
    names = [Listing.objects.get(pk=pk).name for pk in index.ids[order].tolist()]
    assert names[0] == "SMART Recovery"
    both = ranks[order] >= keywords.ALL_WORDS_WEIGHT
    assert both.any() and not both.all()
    assert (np.diff(both.astype(int)) <= 0).all()  # every "both" before every "one"


class Everything:
    def __contains__(self, lexeme):  # every word is known: no typing slips to expand
        return True


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's tsquery")
@pytest.mark.parametrize(
    ("typed", "lexemes", "phrase"),
    [
        ("big book", ["big", "book"], False),
        ('"big book" or women\'s -smoking', ["big", "book", "women"], True),
        ("12-step well-being", ["12", "step", "well-b", "well"], True),
        ("the", [], False),
        ("it's o'clock", ["o", "clock"], True),
    ],
)
def test_postgresql_s_parse_is_read_back(typed, lexemes, phrase):
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery('english'::regconfig, %s)::text", [typed])
        tree = tsquery.parse_tsquery(cursor.fetchone()[0])
    _, words = keywords.expand_typos(tree, Everything())
    assert [word for (word,) in words] == lexemes
    assert tsquery.has_phrase(tree) is phrase


def test_a_tsquery_with_quotes_and_backslashes_parses():
    tree = tsquery.parse_tsquery("'o''brien' & !'a\\\\b' | 'c' <2> 'd'")
    assert tree == tsquery.Or(
        tsquery.And(tsquery.Lexeme("o'brien"), tsquery.Not(tsquery.Lexeme("a\\b"))),
        tsquery.Phrase(tsquery.Lexeme("c"), tsquery.Lexeme("d"), 2),
    )


def _postgresql_lexemes(text: str) -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme, unnest(positions) FROM unnest(to_tsvector('english'::regconfig, %s))",
            [text],
        )
        return sorted(cursor.fetchall(), key=lambda row: (row[1], row[0]))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compared with PostgreSQL")
def test_python_analysis_is_postgresql_s_on_the_data(data):
    """SQLite's lexemes (words, positions) equal PostgreSQL's for every listing's text."""
    rows = Listing.objects.values_list("name", "description")
    for name, description in rows:
        text = f"{name} {description}"
        ours = sorted(analysis.analyse(text), key=lambda row: (row[1], row[0]))
        assert ours == _postgresql_lexemes(text), text


# Text as listings have it: words (accents, apostrophes, hyphens), numbers, between ordinary
# punctuation. (Not file paths or stray dots: PostgreSQL's parser has token types for those
# that the Python analysis does not copy; docs/search.md says which.)
WORDY = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(
                VOCABULARY + ["well-being", "12-step", "o'brien", "women's", "aa.org", "évening"]
            ),
            st.from_regex(r"[a-zé]{1,8}([-'][a-z]{1,6})?", fullmatch=True),
            st.from_regex(r"[0-9]{1,3}(\.[0-9])?", fullmatch=True),
            st.from_regex(r"[a-z]{1,3}[0-9]{1,2}", fullmatch=True),
        ),
        st.sampled_from([" ", ", ", ". ", "; ", " - ", " & ", ": "]),
    ),
    min_size=1,
    max_size=6,
).map(lambda pairs: "".join(word + gap for word, gap in pairs).strip())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compared with PostgreSQL")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=WORDY)
def test_python_analysis_is_postgresql_s_on_generated_text(text):
    ours = sorted(analysis.analyse(text), key=lambda row: (row[1], row[0]))
    assert ours == _postgresql_lexemes(text)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compared with PostgreSQL")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    words=st.lists(
        st.one_of(
            WORDY,
            st.sampled_from(["or", "OR", "-", "--", "-hope", '"big book"', '"the', "hope,-group"]),
        ),
        max_size=5,
    )
)
def test_python_websearch_is_postgresql_s(words):
    typed = " ".join(words)
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery('english'::regconfig, %s)::text", [typed])
        expected = tsquery.parse_tsquery(cursor.fetchone()[0])
    assert analysis.websearch(typed) == expected, typed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compared with PostgreSQL")
def test_python_websearch_reads_every_typed_keyword_as_postgresql(data):
    for typed in TYPED:
        with connection.cursor() as cursor:
            cursor.execute("SELECT websearch_to_tsquery('english'::regconfig, %s)::text", [typed])
            expected = tsquery.parse_tsquery(cursor.fetchone()[0])
        assert analysis.websearch(typed) == expected, typed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compared with PostgreSQL")
def test_stop_words_are_postgresql_s():
    with connection.cursor() as cursor:
        for word in analysis.STOP_WORDS:
            cursor.execute("SELECT to_tsvector('english'::regconfig, %s)::text", [word])
            assert cursor.fetchone()[0] == "", word


def test_a_typing_slip_finds_the_word_listings_have(data):
    """ "grup", "meetng", "recovry", "naive" (for naïve): one slip from a word listings have,
    so the listings with that word; a word listings have is never replaced."""
    index = search_index()
    for typed, meant in [("grup", "group"), ("meetng", "meeting"), ("recovry", "recovery")]:
        mask, _ = keyword_mask(index, typed, with_rank=False)
        wanted, _ = keyword_mask(index, meant, with_rank=False)
        assert (mask | ~wanted).all() and mask.any(), typed  # every listing with the word
    assert keywords.typo_alternatives("group", index.keywords) == []  # listings have it
    assert keywords.typo_alternatives("grp", index.keywords) == []  # too short to guess


def test_typo_alternatives_are_one_slip_away():
    known = {"group", "meet", "recoveri", "hope", "grip"}
    assert keywords.typo_alternatives("grup", known) == ["grip", "group"]
    assert keywords.typo_alternatives("meetng", known) == ["meet"]  # meeting, stemmed
    assert keywords.typo_alternatives("recovri", known) == ["recoveri"]
    assert keywords.typo_alternatives("hpoe", known) == ["hope"]  # two letters swapped
    assert keywords.typo_alternatives("zzzzzz", known) == []
    tree, words = keywords.expand_typos(analysis.websearch("grup -hpoe"), known)
    assert words == [["grip", "group"]]  # a negated word is left as typed
    assert tsquery.tsquery_text(tree) == "( ( 'grip' | 'group' ) & !( 'hpoe' ) )"


def test_a_keyword_is_read_once_per_index(data, django_assert_num_queries):
    """Visitors type the same words again and again: the second search of a word reads it
    from memory (no statement), with the same listings; a new index reads it again."""
    ix = search_index()
    first, _ = keyword_mask(ix, "  recovery   group ", with_rank=False)
    with django_assert_num_queries(0):
        again, _ = keyword_mask(ix, "recovery group", with_rank=False)
    assert again.tolist() == first.tolist()
    assert np.count_nonzero(first)

    listing = Listing.objects.published().exclude(name__icontains="zebra").first()
    listing.name = "Zebra recovery group"
    listing.save()
    newer = search_index()
    assert newer is not ix
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 0):
        after, _ = keyword_mask(newer, "zebra", with_rank=False)
    assert newer.ids[after].tolist() == [listing.pk]


def test_a_keyword_one_process_read_is_not_read_again_by_another(data, django_assert_num_queries):
    """Every worker of the site shares what one has read (the shared cache): a process that
    has not read a word (its own memory emptied) takes it from there, with the same listings;
    a keyword with other letters than ASCII is read by each process (it names listings by id)."""
    from directory.search import text

    ix = search_index()
    first, first_ranks = keyword_mask(ix, "recovery group", with_rank=True)
    text._parsed_keywords = text._ParsedKeywords()  # another process: nothing in its memory
    with django_assert_num_queries(0):
        again, again_ranks = keyword_mask(ix, "recovery group", with_rank=True)
    assert again.tolist() == first.tolist() and again_ranks.tolist() == first_ranks.tolist()
    keyword_mask(ix, "reunión", with_rank=False)
    text._parsed_keywords = text._ParsedKeywords()
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 0):
        keyword_mask(ix, "reunión", with_rank=False)
    text.forget_read_keywords()  # the benchmark's cold requests: read again
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 0):
        keyword_mask(ix, "recovery group", with_rank=True)


def test_a_read_keyword_cannot_be_changed_by_its_users(data):
    ix = search_index()
    keyword_mask(ix, "hope", with_rank=True)
    from directory.search import text

    parsed = text.parse_keyword("hope", with_rank=True, names=ix.names)
    assert parsed is text.parse_keyword("hope", with_rank=True, names=ix.names)
    with pytest.raises(ValueError, match="read-only"):
        parsed.name_codes[...] = 0
