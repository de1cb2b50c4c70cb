"""The management commands that load the article, the reference data and the gazetteer."""

import json
import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from directory.constants import FEATURE_CATEGORY_SLUGS, SUPPORT_TYPES
from directory.loaders.article import default_article_path
from directory.loaders.reference import CATEGORY_FOR_CODE, default_reference_dir
from directory.models import (
    FAQ,
    ChecklistItem,
    CredentialType,
    CrisisLine,
    Feature,
    FeatureCategory,
    GuidePoint,
    GuideSection,
    Organization,
    Place,
    SupportType,
)

pytestmark = pytest.mark.django_db

ARTICLE_MODELS = [SupportType, GuideSection, GuidePoint, ChecklistItem, FAQ]
REFERENCE_MODELS = [
    SupportType,
    FeatureCategory,
    Feature,
    CredentialType,
    CrisisLine,
    Organization,
]


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def counts(models) -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in models}


def nothing_written(models) -> bool:
    return all(n == 0 for n in counts(models).values())


def article_copy(tmp_path, transform) -> str:
    """A changed copy of the article, with its Spanish translation beside it."""
    path = tmp_path / "article.txt"
    path.write_text(transform(default_article_path().read_text(encoding="utf-8")))
    source = default_article_path()
    shutil.copy(source.with_name(f"{source.stem}.es.po"), tmp_path / "article.es.po")
    return str(path)


# --- load_article ------------------------------------------------------------------------------


def test_load_article_creates_the_expected_rows():
    out = run("load_article")

    assert counts(ARTICLE_MODELS) == {
        "SupportType": 5,
        "GuideSection": 10,
        "GuidePoint": 42,
        "ChecklistItem": 3,
        "FAQ": 9,
    }
    assert "FAQ: 9 created, 0 updated, 0 unchanged" in out
    assert GuidePoint.objects.filter(section__kind="challenges").count() == 3
    assert GuidePoint.objects.filter(section__kind="strategies").count() == 5
    assert list(ChecklistItem.objects.values_list("title", flat=True)) == [
        "Check Credentials",
        "References",
        "Empathy & Understanding",
    ]
    assert list(SupportType.objects.values_list("slug", "name")) == SUPPORT_TYPES
    assert set(
        SupportType.objects.filter(is_meeting_based=False).values_list("slug", flat=True)
    ) == {
        "peer-mentors",
        "sober-companions",
    }
    assert all(st.summary and st.body for st in SupportType.objects.all())
    challenges = GuideSection.objects.get(kind="challenges")
    assert challenges.points.first().label == "Lack of regulation"
    types = GuideSection.objects.get(kind="types")
    assert types.list_title == "Types of Peer Support"
    assert len(types.paragraphs) == 2
    faq = FAQ.objects.get(slug="how-can-i-identify-a-qualified-peer-support-worker")
    assert faq.position == 5 and faq.answer.startswith("Qualified peer support workers")


def test_load_article_twice_changes_nothing_the_second_time():
    run("load_article")
    before = {
        model.__name__: list(model.objects.order_by("pk").values()) for model in ARTICLE_MODELS
    }

    out = run("load_article")

    after = {
        model.__name__: list(model.objects.order_by("pk").values()) for model in ARTICLE_MODELS
    }
    assert after == before
    tallies = [line for line in out.splitlines() if "created" in line]
    assert len(tallies) == 5
    assert all(": 0 created, 0 updated, " in line for line in tallies)
    assert "Nothing to do" in out


def test_load_article_updates_in_place_when_the_article_changes(tmp_path):
    run("load_article")
    faq_ids = set(FAQ.objects.values_list("pk", flat=True))
    edited = article_copy(
        tmp_path,
        lambda text: text.replace("Reframe challenges into opportunities for growth\n", "").replace(
            "online forums.", "online forums and apps."
        ),
    )

    out = run("load_article", "--file", edited)

    assert "FAQ: 0 created, 1 updated, 8 unchanged" in out
    assert "GuidePoint: 0 created, 2 updated, 39 unchanged, 1 deleted" in out
    assert set(FAQ.objects.values_list("pk", flat=True)) == faq_ids
    assert FAQ.objects.get(slug="what-types-of-peer-support-are-available").answer.endswith(
        "online forums and apps."
    )
    assert GuidePoint.objects.filter(section__kind="strategies").count() == 4


def test_load_article_dry_run_writes_nothing_and_says_so():
    out = run("load_article", "--dry-run")

    assert "SupportType: 5 created" in out
    assert "Dry run" in out and "rolled back" in out
    assert nothing_written(ARTICLE_MODELS)


def test_load_article_fills_in_the_support_types_load_reference_created():
    run("load_reference")
    ids = dict(SupportType.objects.values_list("slug", "pk"))
    assert not SupportType.objects.exclude(summary="").exists()

    out = run("load_article")

    assert "SupportType: 0 created, 5 updated, 0 unchanged" in out
    assert dict(SupportType.objects.values_list("slug", "pk")) == ids
    assert not SupportType.objects.filter(summary="").exists()
    assert Organization.objects.get(slug="alcoholics-anonymous").support_types.get().summary


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        (lambda text: "", "empty"),
        (lambda text: text.split("Types of Peer Support:")[0], "five types"),
        (lambda text: text.replace("- Sober Companions\n", ""), "missing: Sober Companions"),
        (lambda text: text.split("What is the role of peer support")[0], "no FAQ entries"),
        (lambda text: text.replace("- Check Credentials:", "- Check credentials"), None),
        (
            lambda text: (
                text.replace("- Check Credentials:", "- Check")
                .replace("- References:", "- See")
                .replace("- Empathy & Understanding:", "- Be")
            ),
            "checklist",
        ),
    ],
)
def test_load_article_rejects_a_malformed_file_and_writes_nothing(tmp_path, transform, message):
    path = article_copy(tmp_path, transform)
    if message is None:  # two checklist items are still a checklist
        run("load_article", "--file", path)
        assert ChecklistItem.objects.count() == 2
        return

    with pytest.raises(CommandError, match=message) as caught:
        run("load_article", "--file", path)

    assert "Nothing was written" in str(caught.value)
    assert nothing_written(ARTICLE_MODELS)


def test_load_article_with_a_missing_file_fails_and_keeps_existing_rows(tmp_path):
    run("load_article")
    before = counts(ARTICLE_MODELS)

    with pytest.raises(CommandError, match="not found"):
        run("load_article", "--file", str(tmp_path / "missing.txt"))
    with pytest.raises(CommandError, match="no FAQ entries"):
        run("load_article", "--file", article_copy(tmp_path, lambda t: t.split("What is")[0]))

    assert counts(ARTICLE_MODELS) == before


def test_load_article_exits_non_zero_from_the_command_line(tmp_path, capsys, monkeypatch):
    from django.core.management import execute_from_command_line
    from django.db import connections

    # run_from_argv closes every connection when it ends, which would close the test's own.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(
            ["manage.py", "load_article", "--file", str(tmp_path / "missing.txt")]
        )

    assert exit_info.value.code != 0
    assert "Article file not found" in capsys.readouterr().err
    assert nothing_written(ARTICLE_MODELS)


# --- load_reference ----------------------------------------------------------------------------


def test_load_reference_creates_the_taxonomy_and_reference_rows():
    out = run("load_reference")

    types = json.loads((default_reference_dir() / "meeting-guide" / "types.json").read_text())
    assert list(FeatureCategory.objects.values_list("slug", flat=True)) == FEATURE_CATEGORY_SLUGS
    assert Feature.objects.exclude(code="").count() == len(types)
    assert set(Feature.objects.exclude(code="").values_list("code", flat=True)) == set(types)
    assert Feature.objects.filter(code="").count() == 4
    assert f"Feature: {len(types) + 4} created" in out
    spanish = Feature.objects.get(code="S")
    assert (spanish.slug, spanish.name, spanish.name_es, spanish.category.slug) == (
        "spanish",
        "Spanish",
        "Español",
        "language",
    )
    category = dict(Feature.objects.values_list("code", "category__slug"))
    assert category["W"] == "audience" and category["BE"] == "audience"
    assert category["X"] == "accessibility" and category["ASL"] == "accessibility"
    assert category["O"] == "format" and category["SP"] == "format"
    assert category["DD"] == "focus"
    assert set(
        Feature.objects.filter(category__slug="focus", code="").values_list("slug", flat=True)
    ) == {"alcohol", "drugs", "gambling", "family-members"}

    assert CredentialType.objects.count() == 10
    pa = CredentialType.objects.get(abbreviation="CRS")
    assert pa.slug == "crs-pennsylvania-certification-board" and pa.renewal_years == 2
    assert CredentialType.objects.get(abbreviation="NCPS").renewal_years is None
    assert set(CrisisLine.objects.values_list("country", "name")) >= {
        ("US", "988 Suicide & Crisis Lifeline"),
        ("GB", "Samaritans"),
    }

    assert Organization.objects.filter(is_national=True).count() == 13
    aa = Organization.objects.get(slug="alcoholics-anonymous")
    assert (aa.kind, aa.attendance, aa.website) == ("fellowship", "hybrid", "https://www.aa.org")
    assert list(aa.support_types.values_list("slug", flat=True)) == ["12-step-programs"]
    rooms = Organization.objects.get(slug="in-the-rooms")
    assert rooms.kind == Organization.Kind.ONLINE_PLATFORM and rooms.attendance == "online"
    assert list(
        Organization.objects.get(slug="al-anon-family-groups").support_types.values_list(
            "slug", flat=True
        )
    ) == ["family-and-friends"]
    assert list(SupportType.objects.values_list("slug", "name")) == SUPPORT_TYPES


def test_every_meeting_guide_code_has_an_explicit_category():
    types = json.loads((default_reference_dir() / "meeting-guide" / "types.json").read_text())
    assert set(types) == set(CATEGORY_FOR_CODE)


def test_load_reference_twice_changes_nothing_the_second_time():
    run("load_reference")
    before = {
        model.__name__: list(model.objects.order_by("pk").values()) for model in REFERENCE_MODELS
    }
    orgs = {o.pk: o.updated_at for o in Organization.objects.all()}

    out = run("load_reference")

    assert {
        model.__name__: list(model.objects.order_by("pk").values()) for model in REFERENCE_MODELS
    } == before
    assert {o.pk: o.updated_at for o in Organization.objects.all()} == orgs
    assert "Organization: 0 created, 0 updated, 13 unchanged" in out
    assert "Nothing to do" in out


def test_load_reference_repairs_edited_rows_and_adopts_a_hand_made_feature():
    category = FeatureCategory.objects.create(slug="audience", name="Audience")
    women = Feature.objects.create(category=category, slug="women", name="Women")  # no code yet
    run("load_reference")
    women.refresh_from_db()
    assert women.code == "W" and women.name_es == "Mujeres"
    aa = Organization.objects.get(slug="alcoholics-anonymous")
    aa.support_types.clear()
    CrisisLine.objects.filter(name="Samaritans").update(phone="0")

    out = run("load_reference")

    assert "CrisisLine: 0 created, 1 updated, 3 unchanged" in out
    assert "Organization: 0 created, 1 updated, 12 unchanged" in out
    assert aa.support_types.get().slug == "12-step-programs"
    assert CrisisLine.objects.get(name="Samaritans").phone == "116 123"


def test_load_reference_dry_run_writes_nothing_and_says_so():
    out = run("load_reference", "--dry-run")

    assert "Organization: 13 created" in out and "Dry run" in out
    assert nothing_written(REFERENCE_MODELS)


def _reference_copy(tmp_path):
    directory = tmp_path / "reference"
    shutil.copytree(default_reference_dir(), directory)
    return directory


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        ("national-resources.csv", lambda t: t.replace(",12-step,", ",12-steps,", 1), "12-steps"),
        ("national-resources.csv", lambda t: t.replace(",hybrid,", ",sometimes,", 1), "attendance"),
        ("national-resources.csv", lambda t: t.replace("https://na.org", "na dot org"), "URL"),
        ("credential-types.csv", lambda t: t.replace("issuing_body", "issuer"), "issuing_body"),
        ("credential-types.csv", lambda t: t.replace(",2,", ",two,", 1), "renewal_years"),
        ("crisis-lines.csv", lambda t: t.replace("GB,Samaritans", "UK1,Samaritans"), "country"),
        ("crisis-lines.csv", lambda t: t.replace(",116 123,", ",,"), "empty phone"),
        ("crisis-lines.csv", lambda t: t.splitlines()[0] + "\n", "no rows"),
        ("meeting-guide/types.json", lambda t: t[:-20], "Can't read"),
        ("meeting-guide/types.json", lambda t: "[]", "expected an object"),
        ("meeting-guide/types.json", lambda t: t.replace('"en": "Women"', '"xx": "W"'), "'W'"),
    ],
)
def test_load_reference_rejects_bad_input_and_writes_nothing(tmp_path, file, edit, message):
    directory = _reference_copy(tmp_path)
    path = directory / file
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        run("load_reference", "--dir", str(directory))

    assert nothing_written(REFERENCE_MODELS)


def test_load_reference_with_a_missing_file_writes_nothing(tmp_path):
    directory = _reference_copy(tmp_path)
    (directory / "crisis-lines.csv").unlink()

    with pytest.raises(CommandError, match="not found.*crisis-lines.csv"):
        run("load_reference", "--dir", str(directory))

    assert nothing_written(REFERENCE_MODELS)


# --- load_gazetteer ----------------------------------------------------------------------------


def test_load_gazetteer_for_some_countries_then_again_unchanged():
    out = run("load_gazetteer", "--countries", "GB,ie")

    places = Place.objects.all()
    assert set(places.values_list("country", flat=True)) == {"GB", "IE"}
    assert not places.filter(kind=Place.Kind.POSTAL_CODE).exists()
    assert places.count() > 500
    london = places.filter(name="London", country="GB").get()
    assert (london.search_name, london.timezone) == ("london", "Europe/London")
    assert london.population > 7_000_000
    assert f"Place (city): {places.count()} created, 0 updated, 0 unchanged" in out

    Place.objects.filter(pk=london.pk).update(population=1, search_name="x")
    second = run("load_gazetteer", "--countries", "GB,IE")

    assert f"Place (city): 0 created, 1 updated, {places.count() - 1} unchanged" in second
    london.refresh_from_db()
    assert london.population > 7_000_000 and london.search_name == "london"
    third = run("load_gazetteer", "--countries", "GB,IE")
    assert "Nothing to do" in third
    assert Place.objects.count() == places.count()


def test_load_gazetteer_folds_accents_for_look_ups():
    run("load_gazetteer", "--countries", "DE")

    munich = Place.objects.get(country="DE", name="Munich")
    assert munich.search_name == "munich"
    assert Place.objects.filter(country="DE", name="Köln").get().search_name == "koln"


def test_load_gazetteer_loads_us_cities_and_zip_codes():
    out = run("load_gazetteer", "--countries", "US")

    zip_code = Place.objects.get(kind=Place.Kind.POSTAL_CODE, source_id="02139")
    assert (zip_code.name, zip_code.search_name, zip_code.region_code) == ("02139", "02139", "MA")
    assert zip_code.region_name == "Massachusetts"
    assert zip_code.timezone == "America/New_York"
    assert 42.3 < zip_code.latitude < 42.4 and -71.2 < zip_code.longitude < -71.0
    assert Place.objects.filter(kind=Place.Kind.POSTAL_CODE).count() > 40_000
    boston = Place.objects.filter(kind=Place.Kind.CITY, name="Boston", country="US").first()
    assert (boston.region_code, boston.region_name) == ("MA", "Massachusetts")
    assert "Place (US ZIP code):" in out

    # Every US town with a ZIP code is findable by name: from GeoNames, or else from the ZIP
    # codes' own town names, at their centroid.
    from directory.search.geo import resolve_place

    for text, region in [
        ("Rehoboth Beach", "DE"),
        ("Larkspur, CA", "CA"),
        ("Larkspur, Colorado", "CO"),
        ("Adjuntas", "PR"),
    ]:
        found = resolve_place(text)
        assert found.origin is not None, text
        assert found.origin.place.region_code == region
    town = Place.objects.get(source_id="zip:PR:adjuntas")
    assert (town.name, town.kind, town.timezone) == ("Adjuntas", "city", "America/Puerto_Rico")
    assert "Place (US town from ZIP codes):" in out
    assert Place.objects.filter(source_id__startswith="zip:").count() > 15_000

    again = run("load_gazetteer", "--countries", "US")
    assert "Nothing to do" in again and "not in the source" not in again


def test_load_gazetteer_dry_run_writes_nothing_and_says_so():
    out = run("load_gazetteer", "--countries", "NZ", "--dry-run")

    assert "created" in out and "Dry run" in out
    assert not Place.objects.exists()


def test_load_gazetteer_rejects_an_unknown_country_and_writes_nothing():
    with pytest.raises(CommandError, match="Unknown country code.*XX"):
        run("load_gazetteer", "--countries", "GB,XX")

    assert not Place.objects.exists()


def test_load_article_fills_the_spanish_from_its_translation_file():
    """Every unit of the article has its Spanish in <article>.es.po, so every Spanish field is
    filled; a row's Spanish is its English translated unit by unit."""
    run("load_article")
    for model, fields in [
        (SupportType, ["name", "summary", "body"]),
        (GuideSection, ["title", "body"]),
        (GuidePoint, ["text"]),
        (ChecklistItem, ["title", "text"]),
        (FAQ, ["question", "answer"]),
    ]:
        for row in model.objects.all():
            for field in fields:
                if getattr(row, field):
                    assert getattr(row, f"{field}_es"), (model.__name__, row.pk, field)
    twelve = SupportType.objects.get(slug="12-step-programs")
    assert twelve.name_es == "Programas de 12 pasos"
    assert FAQ.objects.get(slug="what-types-of-peer-support-are-available").question_es == (
        "¿Qué tipos de apoyo entre pares existen?"
    )


def test_a_unit_whose_english_changed_shows_in_english_until_translated_again(tmp_path):
    """The translation is matched on the English text: an edited paragraph has no Spanish (and
    a body is translated whole or not at all), so a Spanish page never shows a stale one."""
    edited = article_copy(
        tmp_path, lambda text: text.replace("online forums.", "online forums and apps.")
    )
    run("load_article", "--file", edited)
    faq = FAQ.objects.get(slug="what-types-of-peer-support-are-available")
    assert faq.question_es and faq.answer_es == ""
    assert faq.localised("answer") == faq.answer
    unchanged = FAQ.objects.exclude(pk=faq.pk)
    assert all(row.answer_es for row in unchanged)
