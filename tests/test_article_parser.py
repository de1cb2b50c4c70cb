"""The article parser on its own (no database): the shipped article and its web-page quirks."""

import pytest

from directory.constants import SUPPORT_TYPE_SLUGS
from directory.loaders import LoaderError
from directory.loaders.article import (
    clean_lines,
    default_article_path,
    parse_article,
    read_article,
)
from directory.models import GuideSection

Kind = GuideSection.Kind


@pytest.fixture(scope="module")
def article():
    return read_article(default_article_path())


@pytest.fixture(scope="module")
def text():
    return default_article_path().read_text(encoding="utf-8")


def test_the_article_is_shipped_inside_the_project():
    from django.conf import settings

    path = default_article_path()
    assert path.is_file()
    assert path.is_relative_to(settings.BASE_DIR / "fixtures")


def test_ten_sections_one_of_each_kind_in_article_order(article):
    assert [s.kind for s in article.sections] == [
        Kind.OVERVIEW,
        Kind.BENEFITS,
        Kind.RESOURCES,
        Kind.CHALLENGES,
        Kind.TYPES,
        Kind.QUALIFIED_WORKER,
        Kind.RELAPSE_PREVENTION,
        Kind.OTHER_TREATMENT,
        Kind.STRATEGIES,
        Kind.FAMILY,
    ]
    assert all(len(s.paragraphs) >= 1 for s in article.sections)


def test_challenges_have_labels_and_strategies_are_five_plain_points(article):
    challenges = article.section(Kind.CHALLENGES).points
    assert [p.label for p in challenges] == [
        "Lack of regulation",
        "Reliance on external support",
        "Isolation",
    ]
    assert challenges[0].text.startswith("There is no legal framework")
    strategies = article.section(Kind.STRATEGIES).points
    assert len(strategies) == 5
    assert all(p.label == "" for p in strategies)


def test_both_bullet_styles_are_points_without_their_marker(article):
    overview = article.section(Kind.OVERVIEW).points  # "- " bullets
    relapse = article.section(Kind.RELAPSE_PREVENTION).points  # "• " bullets
    assert len(overview) == 5 and len(relapse) == 5
    assert overview[0].text.startswith("Peers provide")
    assert relapse[0].text.startswith("Peer support provides a safe space")
    assert not any(p.text.startswith(("-", "•")) for p in overview + relapse)


def test_heading_glued_onto_a_bullet_is_split_off(article):
    last_strategy = article.section(Kind.STRATEGIES).points[-1]
    assert last_strategy.text == "Provide positive reinforcements to reinforce desired behavior"
    family = article.section(Kind.FAMILY)
    assert family.title == "The Role of Family and Friends in Peer Support for Addiction Recovery"
    assert [p.label for p in family.points] == [
        "Emotional Support",
        "Practical Support",
        "Vital Role in Recovery Process",
    ]


def test_stray_dots_image_caption_and_leave_a_reply_are_dropped(article, text):
    assert "related to peer support" in text and "Leave a Reply" in text
    lines = clean_lines(text)
    assert "." not in lines
    assert "related to peer support" not in lines
    assert "Leave a Reply" not in lines
    resources = article.section(Kind.RESOURCES)
    assert resources.paragraphs[0].startswith("Accessing peer support")
    assert article.faqs[-1].answer.endswith("meetings and support groups.")


def test_list_titles_belong_to_their_sections(article):
    assert article.section(Kind.TYPES).list_title == "Types of Peer Support"
    assert article.section(Kind.OTHER_TREATMENT).list_title == "The Benefits of Peer Support"
    assert article.section(Kind.OVERVIEW).list_title == ""


def test_nine_faq_entries_with_answers(article):
    assert len(article.faqs) == 9
    assert article.faqs[0].question == "What is the role of peer support in addiction recovery?"
    assert article.faqs[0].slug == "what-is-the-role-of-peer-support-in-addiction-recovery"
    assert all(faq.answer and not faq.answer.endswith("?") for faq in article.faqs)


def test_checklist_is_the_three_labelled_qualified_worker_bullets(article):
    assert [c.label for c in article.checklist] == [
        "Check Credentials",
        "References",
        "Empathy & Understanding",
    ]


def test_support_type_text_comes_from_the_article_sentences_about_each_type(article):
    by_slug = {st.slug: st for st in article.support_types}
    assert list(by_slug) == SUPPORT_TYPE_SLUGS
    assert "12-Step Program" in by_slug["12-step-programs"].summary
    assert by_slug["recovery-groups"].summary.startswith("Recovery groups are a good way")
    # The sentence after "Peer mentors ..." continues it ("These types of providers ...").
    assert "These types of providers" in by_slug["peer-mentors"].body
    assert "sober companion" in by_slug["sober-companions"].summary
    family = by_slug["family-and-friends"]
    assert "moral support" in family.body
    assert "instrumental in providing practical support" in family.body  # the family section
    assert "12-Step" not in family.body
    assert {st.slug for st in article.support_types if not st.is_meeting_based} == {
        "peer-mentors",
        "sober-companions",
    }


MINIMAL = """\
Peer Support Basics
Peer support helps.
Types of Peer Support:
• Twelve-step programs
• Recovery groups
• Peer mentors
• Family and friends
• Sober companions
Finding a Qualified Peer Worker
Ask questions.
- Credentials: Ask to see them.
What is peer support?
Help from people who have been there.
"""


def test_a_differently_worded_article_parses_by_shape():
    article = parse_article(MINIMAL)
    assert [s.kind for s in article.sections] == [Kind.OVERVIEW, Kind.QUALIFIED_WORKER]
    assert article.sections[0].list_title == "Types of Peer Support"
    assert [st.slug for st in article.support_types] == SUPPORT_TYPE_SLUGS
    assert [c.label for c in article.checklist] == ["Credentials"]
    assert [f.question for f in article.faqs] == ["What is peer support?"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        (" \n.\n\n", "empty"),
        (MINIMAL.replace("• Sober companions\n", ""), "missing: Sober Companions"),
        (MINIMAL.replace("Types of Peer Support:\n", "").split("• Twelve")[0], "five types"),
        (MINIMAL.split("What is peer support?")[0], "no FAQ entries"),
        (MINIMAL.replace("- Credentials: Ask to see them.\n", ""), "checklist"),
        (MINIMAL.replace("Help from people who have been there.\n", ""), "no FAQ entries"),
        ("Just a paragraph of prose that is not a heading at all.\nMore.", "start with a heading"),
        (MINIMAL + "Contact Details For Our Office\nCall us.\n", None),
    ],
)
def test_malformed_articles_are_rejected_with_a_clear_message(text, message):
    if message is None:  # text after the FAQ is answer text, not a new section
        assert parse_article(text).faqs[-1].answer.endswith("Call us.")
        return
    with pytest.raises(LoaderError, match=message):
        parse_article(text)


def test_a_section_of_unknown_kind_is_rejected():
    with pytest.raises(LoaderError, match="Weather Report"):
        parse_article(MINIMAL.replace("Ask questions.\n", "Ask questions.\nWeather Report\nSun.\n"))


def test_a_missing_or_undecodable_file_is_a_loader_error(tmp_path):
    with pytest.raises(LoaderError, match="not found"):
        read_article(tmp_path / "nope.txt")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(LoaderError, match="Can't read"):
        read_article(binary)
