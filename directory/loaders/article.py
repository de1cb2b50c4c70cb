"""The article in ``fixtures/article/``: parsed into support types, guide sections, the
qualified-worker checklist and the FAQ, then synced into the database.

The text is a copy of a web page, so the parser expects the usual debris of one: bullets written
as "- " or "• ", stray lines such as "." and image captions, a heading glued onto the end of the
previous bullet, and "Leave a Reply" at the end. It recognises lines by their shape (a heading
is short and has no closing punctuation, a question ends with "?", a list title ends with ":")
rather than by their wording, and a section's kind by keywords in its heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.text import slugify

from directory.constants import SUPPORT_TYPES
from directory.loaders.base import LoaderError, Summary, fixtures_dir, sync
from directory.models import FAQ, ChecklistItem, GuidePoint, GuideSection, SupportType

Kind = GuideSection.Kind


def default_article_path() -> Path:
    return fixtures_dir() / "article" / "peer-support-in-addiction-recovery.txt"


# --- Line shapes -------------------------------------------------------------------------------

BULLET = re.compile(r"^(?:[-•–*]|\d+[.)])\s+")
# "Label: text" bullets (challenges, checklist, family support): a short capitalised label.
LABELLED = re.compile(r"^(?P<label>[A-Z][\w&'’ /-]{1,60}?):\s+(?P<text>\S.*)$")
# A heading glued onto the previous line: "...desired behaviorThe Role of Family and Friends".
GLUED_HEADING = re.compile(r"(?<=[a-z.)])(?=[A-Z][a-z]+(?:\s+[\w&'’-]+){2,}$)")
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“(]?[A-Z0-9])")
# Web-page furniture after the article proper; everything from the first of these is dropped.
TRAILERS = {"leave a reply", "leave a comment", "related posts", "share this", "comments"}
FAQ_HEADINGS = {"faq", "faqs", "frequently asked questions"}
HEADING_MAX = 120
LIST_TITLE_MAX = 80
QUESTION_MAX = 200

# A section's kind from words in its heading, first match wins ("Strategies for Overcoming
# Challenges" is about strategies). The article's first section, matching none, is the overview.
KIND_KEYWORDS: list[tuple[str, str]] = [
    ("family", Kind.FAMILY),
    ("relapse", Kind.RELAPSE_PREVENTION),
    ("strateg", Kind.STRATEGIES),
    ("challenge", Kind.CHALLENGES),
    ("qualified", Kind.QUALIFIED_WORKER),
    ("types", Kind.TYPES),
    ("resource", Kind.RESOURCES),
    ("treatment", Kind.OTHER_TREATMENT),
    ("benefit", Kind.BENEFITS),
]

# Which support type a list item or a sentence is about.
TYPE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "12-step-programs": ("12-step", "12 step", "twelve-step", "twelve step"),
    "recovery-groups": ("recovery group",),
    "peer-mentors": ("peer mentor", "support specialist", "recovery coach"),
    "family-and-friends": ("family and friends", "friends and family"),
    "sober-companions": ("sober companion",),
}
# One-to-one support rather than groups meeting on a schedule.
NOT_MEETING_BASED = {"peer-mentors", "sober-companions"}
# A sentence opening like this continues the topic of the sentence before it.
CONTINUATION = re.compile(r"^(?:These|They|This|Such|Those|It)\b")
# Connectives that only make sense inside the article's paragraph, dropped from extracts.
CONNECTIVE = re.compile(r"^(?:Additionally|Moreover|Finally|Also|In addition|Furthermore),\s+")


@dataclass
class Point:
    text: str
    label: str = ""


@dataclass
class Section:
    title: str
    kind: str = ""
    paragraphs: list[str] = field(default_factory=list)
    list_title: str = ""
    points: list[Point] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return slugify(self.title)[:120].strip("-")


@dataclass
class FAQEntry:
    question: str
    answer_paragraphs: list[str] = field(default_factory=list)

    @property
    def answer(self) -> str:
        return "\n\n".join(self.answer_paragraphs)

    @property
    def slug(self) -> str:
        return slugify(self.question)[:120].strip("-")


@dataclass
class SupportTypeText:
    slug: str
    name: str
    position: int
    summary: str = ""
    body: str = ""
    is_meeting_based: bool = True


@dataclass
class Article:
    sections: list[Section]
    faqs: list[FAQEntry]
    support_types: list[SupportTypeText]
    checklist: list[Point]

    def section(self, kind: str) -> Section | None:
        return next((s for s in self.sections if s.kind == kind), None)

    def messages(self) -> list[str]:
        """Every piece of text a reader sees, once each, in reading order: the units of the
        article's translation files (``<article>.<language>.po``; a body is translated one
        paragraph at a time)."""
        found: dict[str, None] = {}

        def add(*texts: str) -> None:
            for text in texts:
                for paragraph in text.split("\n\n"):
                    if paragraph.strip():
                        found.setdefault(paragraph.strip(), None)

        for st in self.support_types:
            add(st.name, st.summary, st.body)
        for section in self.sections:
            add(section.title, *section.paragraphs, section.list_title)
            for point in section.points:
                add(point.label, point.text)
        for item in self.checklist:
            add(item.label, item.text)
        for faq in self.faqs:
            add(faq.question, *faq.answer_paragraphs)
        return list(found)


# --- Parsing -----------------------------------------------------------------------------------


def _is_bullet(line: str) -> bool:
    return bool(BULLET.match(line))


def _is_heading(line: str) -> bool:
    return (
        len(line) <= HEADING_MAX
        and line[0].isupper()
        and line[-1] not in ".!?:;,"
        and not _is_bullet(line)
    )


def _is_question(line: str) -> bool:
    return line.endswith("?") and len(line) <= QUESTION_MAX and not _is_bullet(line)


def _is_list_title(line: str) -> bool:
    return line.endswith(":") and len(line) <= LIST_TITLE_MAX and not _is_bullet(line)


def _is_debris(line: str) -> bool:
    """Lines that are not text: a lone "." or an image caption ("related to peer support")."""
    if not any(ch.isalnum() for ch in line):
        return True
    return line[0].islower() and line[-1] not in ".!?:" and len(line.split()) <= 8


def clean_lines(text: str) -> list[str]:
    """The article's meaningful lines: debris dropped, glued headings split off, trailer cut."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line or _is_debris(line):
            continue
        if line.lower().rstrip(".:!") in TRAILERS:
            break
        if not _is_heading(line):
            match = GLUED_HEADING.search(line)
            if match and _is_heading(line[match.start() :]):
                lines.extend([line[: match.start()], line[match.start() :]])
                continue
        lines.append(line)
    return lines


def _point(line: str) -> Point:
    text = BULLET.sub("", line, count=1).strip()
    match = LABELLED.match(text)
    if match:
        return Point(label=match["label"].strip(), text=match["text"].strip())
    return Point(text=text)


def _kind_for(title: str, is_first: bool) -> str:
    lowered = title.lower()
    for keyword, kind in KIND_KEYWORDS:
        if keyword in lowered:
            return kind
    if is_first:
        return Kind.OVERVIEW
    raise LoaderError(f"Can't tell which kind of guide section the heading {title!r} is.")


def split_sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(paragraph) if s.strip()]


def _types_mentioned(text: str) -> list[str]:
    lowered = text.lower()
    return [
        slug
        for slug, keywords in TYPE_KEYWORDS.items()
        if any(keyword in lowered for keyword in keywords)
    ]


def _support_type_texts(sections: list[Section], problems: list[str]) -> list[SupportTypeText]:
    # The list of types: in the section about types, or under a list title naming them.
    types_section = next((s for s in sections if s.kind == Kind.TYPES), None) or next(
        (s for s in sections if "types of" in s.list_title.lower()), None
    )
    if types_section is None:
        problems.append("no list of the five types of peer support")
        return []
    listed = {slug for point in types_section.points for slug in _types_mentioned(point.text)}
    missing = [name for slug, name in SUPPORT_TYPES if slug not in listed]
    if missing:
        problems.append(
            "the types-of-peer-support list must name all five types; missing: "
            + ", ".join(missing)
        )
        return []

    sentences: dict[str, list[str]] = {slug: [] for slug in TYPE_KEYWORDS}
    for paragraph in types_section.paragraphs:
        previous: list[str] = []
        for sentence in split_sentences(paragraph):
            mentioned = _types_mentioned(sentence)
            if not mentioned and len(previous) == 1 and CONTINUATION.match(sentence):
                mentioned = previous
            extract = CONNECTIVE.sub("", sentence)
            extract = extract[:1].upper() + extract[1:]
            for slug in mentioned:
                sentences[slug].append(extract)
            previous = mentioned

    family = next((s for s in sections if s.kind == Kind.FAMILY), None)
    result = []
    for position, (slug, name) in enumerate(SUPPORT_TYPES):
        found = sentences[slug]
        paragraphs = [" ".join(found)] if found else []
        if slug == "family-and-friends" and family is not None:
            paragraphs.extend(family.paragraphs)
        result.append(
            SupportTypeText(
                slug=slug,
                name=name,
                position=position,
                summary=found[0] if found else "",
                body="\n\n".join(paragraphs),
                is_meeting_based=slug not in NOT_MEETING_BASED,
            )
        )
    return result


def parse_article(text: str) -> Article:
    """Parse the article's text, or raise LoaderError listing everything that is wrong."""
    lines = clean_lines(text)
    if not lines:
        raise LoaderError("The article is empty.")

    sections: list[Section] = []
    faqs: list[FAQEntry] = []
    in_faq = False
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.lower().rstrip(":") in FAQ_HEADINGS:
            in_faq = True
        elif _is_question(line) and (in_faq or (following and not _is_bullet(following))):
            # A question followed by prose starts the FAQ; from there on, questions and answers.
            in_faq = True
            faqs.append(FAQEntry(question=line))
        elif in_faq:
            if not faqs:
                raise LoaderError(f"FAQ text before the first question: {line[:60]!r}")
            faqs[-1].answer_paragraphs.append(line)
        elif _is_bullet(line):
            if not sections:
                raise LoaderError("The article must start with a heading, not a bullet point.")
            sections[-1].points.append(_point(line))
        elif _is_list_title(line) and sections:
            sections[-1].list_title = line.rstrip(":").strip()
        elif _is_heading(line):
            sections.append(Section(title=line))
        elif not sections:
            raise LoaderError(f"The article must start with a heading, not {line[:60]!r}.")
        else:
            sections[-1].paragraphs.append(line)

    problems: list[str] = []
    kinds: set[str] = set()
    for position, section in enumerate(sections):
        section.kind = _kind_for(section.title, is_first=position == 0)
        if section.kind in kinds:
            problems.append(f"two sections of kind {section.kind!r} ({section.title!r})")
        kinds.add(section.kind)
        if not section.paragraphs:
            problems.append(f"section {section.title!r} has no text")
    faqs_without_answer = [faq.question for faq in faqs if not faq.answer_paragraphs]
    if not faqs:
        problems.append("no FAQ entries (questions ending in '?' followed by an answer)")
    if faqs_without_answer:
        problems.append("FAQ questions without an answer: " + "; ".join(faqs_without_answer))

    qualified = next((s for s in sections if s.kind == Kind.QUALIFIED_WORKER), None)
    checklist = [p for p in qualified.points if p.label] if qualified else []
    if not checklist:
        problems.append(
            "no qualified-worker checklist ('Label: text' bullets under a heading about "
            "identifying a qualified peer support worker)"
        )
    support_types = _support_type_texts(sections, problems)
    if problems:
        raise LoaderError("The article is malformed: " + "; ".join(problems) + ".")
    return Article(sections=sections, faqs=faqs, support_types=support_types, checklist=checklist)


def read_article(path: Path) -> Article:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoaderError(f"Article file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise LoaderError(f"Can't read the article file {path}: {error}") from None
    return parse_article(text)


# --- Writing -----------------------------------------------------------------------------------


def read_translation(article_path: Path, language: str) -> dict[str, str]:
    """The article's translation into ``language``: ``<article>.<language>.po`` beside it,
    English unit -> translation (:meth:`Article.messages`); fuzzy and empty entries are left
    out, so a unit whose English changed since it was translated shows in English."""
    from babel.messages.pofile import read_po

    path = article_path.with_name(f"{article_path.stem}.{language}.po")
    if not path.exists():
        return {}
    try:
        with path.open("rb") as source:
            catalog = read_po(source, locale=language)
    except (OSError, ValueError) as error:
        raise LoaderError(f"{path.name}: {error}") from error
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def _translated(translation: dict[str, str], text: str) -> str:
    """``text`` translated paragraph by paragraph; "" unless every paragraph is."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    found = [translation.get(p, "") for p in paragraphs]
    return "\n\n".join(found) if found and all(found) else ""


def load_article(path: Path | None = None) -> Summary:
    """Parse the article (everything is validated first), then sync it into the database,
    with its Spanish translation (``<article>.es.po``) in the ``*_es`` fields.

    Rows are matched on stable keys (support type slug, section kind, checklist title, FAQ slug),
    so a re-run updates in place. FAQ entries and checklist items that curators added in admin
    are kept; a section's bullet points are positional, so surplus points are deleted.
    """
    path = path or default_article_path()
    article = read_article(path)
    spanish = read_translation(path, "es")

    def es(text: str) -> str:
        return _translated(spanish, text)

    summary = Summary()

    for st in article.support_types:
        sync(
            SupportType,
            {"slug": st.slug},
            {
                "name": st.name,
                "summary": st.summary,
                "body": st.body,
                "name_es": es(st.name),
                "summary_es": es(st.summary),
                "body_es": es(st.body),
                "position": st.position,
                "is_meeting_based": st.is_meeting_based,
            },
            summary,
        )

    for position, section in enumerate(article.sections):
        row = sync(
            GuideSection,
            {"kind": section.kind},
            {
                "slug": section.slug,
                "title": section.title,
                "body": "\n\n".join(section.paragraphs),
                "list_title": section.list_title,
                "title_es": es(section.title),
                "body_es": es("\n\n".join(section.paragraphs)),
                "list_title_es": es(section.list_title),
                "position": position,
            },
            summary,
        )
        for point_position, point in enumerate(section.points):
            sync(
                GuidePoint,
                {"section": row, "position": point_position},
                {
                    "label": point.label,
                    "text": point.text,
                    "label_es": es(point.label),
                    "text_es": es(point.text),
                },
                summary,
            )
        surplus, _ = GuidePoint.objects.filter(
            section=row, position__gte=len(section.points)
        ).delete()
        summary["GuidePoint"].deleted += surplus

    for position, item in enumerate(article.checklist):
        sync(
            ChecklistItem,
            {"title": item.label},
            {
                "text": item.text,
                "position": position,
                "title_es": es(item.label),
                "text_es": es(item.text),
            },
            summary,
        )

    for position, faq in enumerate(article.faqs):
        sync(
            FAQ,
            {"slug": faq.slug},
            {
                "question": faq.question,
                "answer": faq.answer,
                "position": position,
                "question_es": es(faq.question),
                "answer_es": es(faq.answer),
            },
            summary,
        )
    return summary
