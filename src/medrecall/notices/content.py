"""What a notice says, checked before it goes out.

A notice prints the recall's own words (title, reason, defect, possible harm) in its
reader's language only: a Chinese notice never carries the English reason, nor the other
way round. When a text the template uses is missing in that language, or the text entered
for one language is plainly written in the other, the notice cannot go out and the reason
names the section and the language.

FDA letters (21 CFR 7.49(c)(2)): for Class I and II the letter and its envelope (the e-mail
subject) are marked "URGENT"; the heading says "recall" or "correction" as the recall's type
of action. A template is refused at approval without them, and a Class I/II letter cannot go
out from an older template that lacks the marking (Class III letters may).
"""

from __future__ import annotations

import re
from typing import Any

from django.template import TemplateSyntaxError
from django.template.base import FilterExpression
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from medrecall.recalls.models import ActionType, RecallCase

from . import documents

# Placeholder → the recall field it prints (in the notice's language).
TEXT_PLACEHOLDERS = {
    "recall_title": "title",
    "reason": "reason",
    "defect": "defect_description",
    "hazard": "hazard_description",
}
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
URGENT = re.compile(r"\burgent\b", re.IGNORECASE)
# Kinds of FDA notice that are recall letters (the 2nd and 3rd notice too).
FDA_LETTERS = ("initial", "reminder")


def language_name(language: str) -> str:
    if language.startswith("zh"):
        return _("Chinese")
    if language.startswith("en"):
        return _("English")
    from medrecall.parties.models import Language

    return str(Language(language).label) if language in Language.values else language


def case_language(language: str) -> str:
    """The language of the case's own words a notice prints: the recall's title, reason,
    defect and harm are kept in Chinese and English; a notice in another EU language prints
    its template's words in that language and the case's words in English."""
    return "zh-hans" if language.startswith("zh") else "en"


def _what(placeholder: str) -> str:
    return {
        "recall_title": _("the recall title"),
        "reason": _("the reason for the recall"),
        "defect": _("the defect"),
        "hazard": _("the possible harm"),
    }[placeholder]


def _where_to_enter(placeholder: str) -> str:
    if placeholder in ("defect", "hazard"):
        return _("enter it with the hazard evaluation on the recall page")
    return _("enter it on the recall page")


def reads_as_other_language(text: str, language: str) -> bool:
    """A Chinese text without a single Chinese character, or an English text that is mostly
    Chinese characters: entered in the wrong language's field."""
    han = len(HAN.findall(text))
    if language.startswith("zh"):
        return han == 0 and bool(LATIN.search(text))
    return han > len(LATIN.findall(text))


def action_heading(recall: RecallCase, language: str) -> str:
    """RECALL or CORRECTION (召回 / 纠正): the heading word of an FDA letter for the recall's
    type of action."""
    with translation.override(language):
        if recall.action_type == ActionType.CORRECTION:
            return pgettext("FDA letter heading", "CORRECTION")
        return pgettext("FDA letter heading", "RECALL")


def _used(text: str) -> set[str]:
    try:
        compiled = documents._compiled(text)
    except TemplateSyntaxError:  # a broken template is refused by template_problems
        return set()
    names = set()
    for node in documents._placeholder_nodes(compiled):
        expression: FilterExpression = node.filter_expression
        names.add(str(getattr(expression.var, "var", expression.var)).split(".")[0])
    return names


def used_placeholders(text: str) -> set[str]:
    """The placeholders a template text uses (a broken text: none)."""
    return _used(text)


def marking_problems(*, regime: str, kind: str, title: str, subject: str) -> list[str]:
    """What an FDA letter template lacks before it can be approved: the URGENT marking on the
    letter (title) and the envelope (subject), and the heading that follows the recall's type
    of action (``{{ action_heading }}``: RECALL or CORRECTION)."""
    if regime != "fda" or kind not in FDA_LETTERS:
        return []
    problems = [
        _(
            "An FDA recall letter must be marked “URGENT” in its %(where)s (21 CFR 7.49(c)(2), required for "
            "Class I and II)."
        )
        % {"where": where}
        for where, text in ((_("title"), title), (_("subject"), subject))
        if not URGENT.search(text)
    ]
    if kind == "initial" and "action_heading" not in _used(title):
        problems.append(
            _(
                "The title of an FDA recall letter must use {{ action_heading }}, so that it says RECALL "
                "or CORRECTION as the recall's type of action."
            )
        )
    return problems


def recall_class(recall: RecallCase, regime: str) -> str:
    return next((r.recall_class for r in recall.regimes.all() if r.regime == regime), "")


def content_problems(*, recall: RecallCase, template: Any, language: str, regime: str) -> list[str]:
    """Why a notice from ``template`` to a reader of ``language`` cannot go out; empty when it can.
    Each reason names the section and the language."""
    problems: list[str] = []
    name = language_name(language)
    parts = [(_("title"), template.title), (_("subject"), template.subject)]
    parts += [
        (str(section.get("heading") or section.get("key") or "?"), str(section.get("body", "")))
        for section in template.sections
        if isinstance(section, dict)
    ]
    reported: set[tuple[str, str]] = set()
    for where, text in parts:
        for placeholder in sorted(_used(text) & set(TEXT_PLACEHOLDERS)):
            value = recall.text_for(TEXT_PLACEHOLDERS[placeholder], case_language(language))
            if (where, placeholder) in reported:
                continue
            reported.add((where, placeholder))
            if not value:
                problems.append(
                    _(
                        "The %(language)s notice cannot go out: section “%(section)s” would be missing "
                        "%(what)s in %(language)s; %(hint)s."
                    )
                    % {
                        "language": name,
                        "section": where,
                        "what": _what(placeholder),
                        "hint": _where_to_enter(placeholder),
                    }
                )
            elif reads_as_other_language(value, case_language(language)):
                problems.append(
                    _(
                        "The %(language)s notice cannot go out: section “%(section)s” would carry %(what)s "
                        "written in another language; enter it in %(language)s."
                    )
                    % {"language": name, "section": where, "what": _what(placeholder)}
                )
    if regime == "fda" and template.kind in FDA_LETTERS:
        level = recall_class(recall, regime)
        if level in ("I", "II"):
            problems += [
                _(
                    "A Class %(level)s FDA letter must be marked “URGENT” in its %(where)s; the template "
                    "“%(template)s” is not. Approve a template with the marking."
                )
                % {"level": level, "where": where, "template": template.title}
                for where, text in ((_("title"), template.title), (_("subject"), template.subject))
                if not URGENT.search(text)
            ]
        if template.kind == "initial":
            title = documents.fill(
                template.title, {"action_heading": action_heading(recall, language)}, html=False
            )
            wanted = _action_words(recall, language)
            if not any(word in title.lower() for word in wanted):
                problems.append(
                    _(
                        "The %(language)s FDA letter's title “%(title)s” does not say “%(word)s”, but the "
                        "recall is a %(action)s."
                    )
                    % {
                        "language": name,
                        "title": title,
                        "word": wanted[0],
                        "action": _action_name(recall),
                    }
                )
    if regime == "eu_mdr":
        from . import fsn

        problems += [p for p in fsn.content_problems(recall, template) if p not in problems]
    return problems


def _action_words(recall: RecallCase, language: str) -> tuple[str, ...]:
    if language.startswith("zh"):
        return ("纠正",) if recall.action_type == ActionType.CORRECTION else ("召回",)
    return ("correction",) if recall.action_type == ActionType.CORRECTION else ("recall", "removal")


def _action_name(recall: RecallCase) -> str:
    return _("correction") if recall.action_type == ActionType.CORRECTION else _("removal")
