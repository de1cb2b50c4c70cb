"""Validators and the text rules they share.

Single-line text (names, addresses, phone numbers) is written into places where a line break
or an invisible control character does harm: an e-mail subject (a line break there is a
header injection, and Django refuses to send), a calendar property, a spreadsheet cell, a
page where a right-to-left override reverses what a visitor reads. ``SingleLineValidator`` is
the one check for those fields, applied by the forms (``apply_single_line``: the public forms,
every admin form through ``directory.admin.scoping``) and by the CSV import. ``one_line`` and
``plain_text`` clean what is already stored, for the writers that must never fail.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Mapping
from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy


@cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(
            gettext("%(value)s is not an IANA time zone name."), params={"value": value}
        )


# Meeting Guide: digits, +, comma (pause), * and # only.
validate_dial_string = RegexValidator(
    r"^\+?[0-9 ()\-.,*#]{3,60}$", gettext_lazy("Use digits, spaces, + , * and # only.")
)


# --- single-line text -------------------------------------------------------------------------

LINE_BREAKS = "\n\r\x0b\x0c\x85\u2028\u2029"
# Invisible characters that change the direction text is shown in: embeddings and overrides
# (U+202A-U+202E), isolates (U+2066-U+2069) and the marks (U+200E, U+200F, U+061C). They can
# make "gro.elpmaxe" read as "example.org".
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_LINE_BREAK = re.compile(f"[{LINE_BREAKS}]")
# C0 (with tab), DEL and C1 control characters, line breaks among them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_NOT_SINGLE_LINE = re.compile(f"{_CONTROL.pattern}|{_BIDI.pattern}")


def _problem(value: str) -> tuple[str, str] | None:
    """(kind, the character's code and name) of what makes ``value`` unfit for one line."""
    found = _NOT_SINGLE_LINE.search(value)
    if found is None:
        return None
    char = found.group()
    if char in LINE_BREAKS:
        return "line break", ""
    if char == "\t":
        return "tab", ""
    code = f"U+{ord(char):04X}"
    if char in BIDI_CONTROLS:
        return "text direction", f"{code} {unicodedata.name(char, '').lower()}"
    return "control", code


def single_line_problem(value: str) -> str | None:
    """What makes ``value`` unfit for a single-line field, in words ("the line break"), or None."""
    found = _problem(value)
    if found is None:
        return None
    kind, code = found
    return {
        "line break": "the line break",
        "tab": "the tab",
        "text direction": f"the invisible text-direction character ({code})",
        "control": f"the control character ({code})",
    }[kind]


# The message in other languages than English: whole sentences naming the field by its label
# (English builds its own, "Remove the line break from the name.", with the field's words).
_TRANSLATED_PROBLEM = {
    "line break": gettext_lazy("Remove the line break from “%(field)s”."),
    "tab": gettext_lazy("Remove the tab from “%(field)s”."),
    "text direction": gettext_lazy(
        "Remove the invisible text-direction character (%(code)s) from “%(field)s”."
    ),
    "control": gettext_lazy("Remove the control character (%(code)s) from “%(field)s”."),
}
_TRANSLATED_PROBLEM_HERE = {
    "line break": gettext_lazy("Remove the line break from this field."),
    "tab": gettext_lazy("Remove the tab from this field."),
    "text direction": gettext_lazy(
        "Remove the invisible text-direction character (%(code)s) from this field."
    ),
    "control": gettext_lazy("Remove the control character (%(code)s) from this field."),
}


def _field_words(label: str) -> str:
    """ "Name of the meeting" -> "the name of the meeting"; acronyms keep their case."""
    label = str(label).strip().rstrip(":")
    label = re.sub(r"(?<=[a-z])(?=[0-9])", " ", label)  # "address line1" -> "address line 1"
    if label[:2].isupper():
        return f"the {label}"
    label = f"{label[:1].lower()}{label[1:]}"
    return label if label.startswith(("your ", "the ")) else f"the {label}"


class SingleLineValidator:
    """Refuses line breaks, control characters (C0 with tab, DEL, C1) and bidirectional
    controls, saying which it found: "Remove the line break from the name."
    """

    code = "single_line"

    def __init__(self, label: str = "this field"):
        self.label = label

    def __call__(self, value) -> None:
        found = _problem(str(value))
        if found is None:
            return
        if (translation.get_language() or "en")[:2] == "en":
            where = _field_words(self.label) if self.label != "this field" else "this field"
            problem = single_line_problem(str(value))
            raise ValidationError(f"Remove {problem} from {where}.", code=self.code)
        kind, code = found
        if self.label == "this field":
            message = _TRANSLATED_PROBLEM_HERE[kind] % {"code": code}
        else:
            message = _TRANSLATED_PROBLEM[kind] % {"code": code, "field": self.label}
        raise ValidationError(message, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, SingleLineValidator) and other.label == self.label


def apply_single_line(fields: Mapping[str, forms.Field]) -> None:
    """Give every one-line text field (a CharField drawn as a one-line input) the validator.

    Call it after the labels are final: the message names the field by its label.
    """
    for name, field in fields.items():
        if not (isinstance(field, forms.CharField) and isinstance(field.widget, forms.TextInput)):
            continue
        if any(isinstance(v, SingleLineValidator) for v in field.validators):
            continue
        field.validators.append(SingleLineValidator(str(field.label or name.replace("_", " "))))


def one_line(value: str) -> str:
    """``value`` safe for a header or a one-line property: line breaks and tabs become a space,
    other control characters and bidirectional controls go, and runs of spaces are one."""
    value = _LINE_BREAK.sub(" ", str(value)).replace("\t", " ")
    value = _NOT_SINGLE_LINE.sub("", value)
    return re.sub(" {2,}", " ", value).strip()


def plain_text(value: str) -> str:
    """Multi-line ``value`` without control or bidirectional characters: line breaks (any
    kind, CRLF included) are kept as "\\n", tabs as a space, everything else of them dropped."""
    value = str(value).replace("\r\n", "\n")
    value = _LINE_BREAK.sub("\n", value).replace("\t", " ")
    return re.sub(f"(?!\n){_NOT_SINGLE_LINE.pattern}", "", value)
