"""``medrecall filings``: the regulatory filings of a recall.

  medrecall filings list NUMBER [--json]
  medrecall filings generate NUMBER --type DOC --user U [--json]
  medrecall filings enter NUMBER --type DOC --section KEY [--zh TEXT] [--en TEXT] --user U [--json]
  medrecall filings enter NUMBER --type DOC [--note TEXT] [--note-en TEXT] --user U [--json]
  medrecall filings check NUMBER --type DOC --user U [--json]
  medrecall filings sign NUMBER --type DOC --user U [--password-file PATH] [--json]
  medrecall filings submit NUMBER --type DOC --authority A --reference R --acknowledgement PATH
      [--submitted-at ISO] --user U [--json]   (once per authority the filing is addressed to)
  medrecall filings revise NUMBER --type DOC --note TEXT [--note-en TEXT] --user U [--json]
  medrecall filings fsn-gate NUMBER [--json]
  medrecall filings fsn-override NUMBER --reason TEXT --authority A --reference R --user U
      [--password-file PATH] [--json]

A document is named by its type (``nmpa.recall_plan``); the command acts on its latest report
and version (``--report N`` picks an earlier report of a recurring document). A refusal prints
every item it names and exits with status 1; nothing changes."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import recall_numbered, refusal, user_named
from medrecall.core.errors import DomainError
from medrecall.filings import selectors, services
from medrecall.filings.documents import DOCUMENT_TYPES
from medrecall.filings.models import Filing

ACTING = ("generate", "enter", "check", "sign", "submit", "revise")


def _row(filing: Filing) -> dict[str, Any]:
    submissions = list(filing.submissions.all())
    progress = selectors.submission_progress(filing, submissions)
    return {
        "id": filing.pk,
        "doc_type": filing.doc_type,
        "title": str(DOCUMENT_TYPES.get(filing.doc_type).label),
        "sequence": filing.sequence,
        "version": filing.version,
        "status": filing.status,
        "signature": selectors.signature_state(filing),
        "authority": filing.authority,
        "reference": filing.reference,
        "submitted_at": filing.submitted_at.isoformat() if filing.submitted_at else None,
        "deadline": filing.deadline_key or None,
        # One submission per authority addressed; the deadline is met once all have one.
        "submissions": [
            {
                "authority": sub.authority,
                "authority_name": selectors.submitted_to_name(filing, sub.authority),
                "submitted_at": timezone.localtime(sub.submitted_at).isoformat(),
                "reference": sub.reference,
                "acknowledgement": sub.acknowledgement_name,
            }
            for sub in submissions
        ],
        "authorities_submitted": progress.done,
        "authorities_addressed": progress.total,
        "authorities_waiting": [selectors.authority_name(a) for a in progress.waiting],
        "change_note": filing.change_note,
        "change_note_en": filing.change_note_en,
        "problems": services.filing_problems(filing),
    }


def _iso_times(value: Any) -> Any:
    """Times as ISO 8601 with their offset, in mappings and lists at any depth."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _iso_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso_times(item) for item in value]
    return value


class Command(ProductCommand):
    help = "Generate, check, sign, submit and list a recall's regulatory filings."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = self.subcommands(parser, dest="action")
        listing = actions.add("list", self._list, help="The recall's filings, every version.")
        listing.add_argument(
            "--language",
            default="",
            help="zh-hans or en: the language of the titles (default: the --user's, else en).",
        )
        listing.add_argument("--user", default="", help="Whose language the titles are in.")
        actions.add("generate", self._generate, help="Generate a document from the recall's data.")
        enter = actions.add("enter", self._enter, help="Write a section of a document.")
        enter.add_argument("--section", default="")
        enter.add_argument("--zh", default=None, help="The section in Chinese.")
        enter.add_argument("--en", default=None, help="The section in English.")
        enter.add_argument("--note", default=None, help="Version 2 on: what changed, in Chinese.")
        enter.add_argument(
            "--note-en", default=None, help="Version 2 on: what changed, in English."
        )
        actions.add("check", self._check, help="Check the required content; list what is missing.")
        sign = actions.add(
            "sign",
            self._sign,
            help="E-sign a checked filing (meaning: authored; reviewed for the 806.20 record).",
        )
        sign.add_argument(
            "--password-file",
            default="",
            metavar="PATH",
            help="Read the signing password from this file (mode 600; '-' for standard input) "
            "instead of asking at the terminal.",
        )
        submit = actions.add(
            "submit",
            self._submit,
            help="Record the submission to one authority the filing is addressed to (one each).",
        )
        submit.add_argument(
            "--authority",
            default="",
            help="The authority submitted to, its Chinese or English name as addressed.",
        )
        submit.add_argument("--reference", default="")
        submit.add_argument("--submitted-at", default="", help="ISO date and time with its zone.")
        submit.add_argument("--acknowledgement", default="", metavar="PATH")
        revise = actions.add("revise", self._revise, help="A new version of a submitted filing.")
        revise.add_argument("--note", default="", help="What changed, in Chinese.")
        revise.add_argument("--note-en", default="", help="What changed, in English.")
        fda = actions.add(
            "fda-record", self._fda_record, help="Record FDA's class, event id and Z-numbers."
        )
        fda.add_argument("--class", dest="fda_class", default="", help="I, II or III.")
        fda.add_argument("--event-id", default="", help="FDA's recall event id.")
        fda.add_argument(
            "--z",
            action="append",
            default=[],
            metavar="MODEL=Z-NNNN-YYYY",
            help="A Z-number with its device model code; the Z-number alone for a recall of one"
            " device model.",
        )
        fda.add_argument("--classified-on", default="", help="YYYY-MM-DD")
        fda.add_argument(
            "--class-kept-reason",
            default="",
            help="Why the case keeps its own class where FDA's differs (either language).",
        )
        fda.add_argument("--user", default="", help="The account the action is recorded under.")
        actions.add("fsn-gate", self._fsn_gate, help="Where the EU FSN gate stands.")
        override = actions.add(
            "fsn-override", self._fsn_override, help="Sign the urgent override of the FSN gate."
        )
        override.add_argument("--reason", default="")
        override.add_argument("--authority", default="", help="The competent authority informed.")
        override.add_argument("--reference", default="", help="How and when it was informed.")
        override.add_argument("--user", default="", help="The person responsible, who signs.")
        override.add_argument("--password-file", default="", metavar="PATH")
        for name, sub in actions.parsers.items():
            sub.add_argument(
                "number", nargs="?", default="", metavar="NUMBER", help="The recall number."
            )
            if name in ACTING:
                sub.add_argument(
                    "--type", dest="doc_type", default="", help="e.g. nmpa.recall_plan"
                )
                sub.add_argument(
                    "--report", type=int, default=0, help="The report no. (recurring documents)."
                )
                sub.add_argument(
                    "--user", default="", help="The account the action is recorded under."
                )
            sub.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            super().handle(*args, **o)
        except DomainError as refused:
            raise refusal(refused) from refused

    def _print(self, filing: Filing, as_json: bool) -> None:
        row = {**_row(filing), "deadline_note": selectors.deadline_note(filing)}
        if as_json:
            self.write_json(row)
            return
        self.write_fields({k: v for k, v in row.items() if k != "problems"}, width=12)
        for problem in row["problems"]:
            self.stdout.write(f"  - {problem}")

    def _filing(self, o: dict[str, Any]) -> Filing:
        recall = recall_numbered(o["number"])
        if not o["doc_type"]:
            raise CommandError(_("Give --type, the document (e.g. nmpa.recall_plan)."))
        found = Filing.objects.filter(recall=recall, doc_type=o["doc_type"])
        if o["report"]:
            found = found.filter(sequence=o["report"])
        filing = found.order_by("-sequence", "-version").first()
        if filing is None:
            raise CommandError(
                _("%(recall)s has no %(doc_type)s yet: generate it first.")
                % {"recall": recall.number, "doc_type": o["doc_type"]}
            )
        return filing

    def _list(self, o: dict[str, Any]) -> None:
        recall = recall_numbered(o["number"])
        language = o["language"] or (user_named(o["user"]).language if o["user"] else "") or "en"
        if language not in dict(settings.LANGUAGES):
            raise CommandError(
                _("Unknown language %(language)s; use zh-hans or en.") % {"language": language}
            )
        with translation.override(language):  # the title in the reader's language
            rows = [
                _row(f)
                for f in Filing.objects.filter(recall=recall)
                .select_related("recall", "signature")
                .prefetch_related("submissions")
            ]
        if o["json"]:
            self.write_json(rows)
            return
        for r in rows:
            self.stdout.write(
                f"{r['doc_type']:<24} #{r['sequence']} v{r['version']}  {r['status']:<9} {r['reference']}"
            )

    def _generate(self, o: dict[str, Any]) -> None:
        filing = services.filing_generate(
            recall=recall_numbered(o["number"]), doc_type=o["doc_type"], actor=user_named(o["user"])
        )
        self._print(filing, o["json"])

    def _enter(self, o: dict[str, Any]) -> None:
        filing = self._filing(o)
        note = {
            language: o[option]
            for language, option in (("zh", "note"), ("en", "note_en"))
            if o[option] is not None
        }
        if not o["section"] and not note:
            raise CommandError(_("Give --section (with --zh/--en), or --note/--note-en."))
        sections = None
        if o["section"]:
            current = filing.entered.get(o["section"], {})
            sections = {
                o["section"]: {
                    "zh": current.get("zh", "") if o["zh"] is None else o["zh"],
                    "en": current.get("en", "") if o["en"] is None else o["en"],
                }
            }
        changed = services.filing_enter(
            filing=filing,
            actor=user_named(o["user"]),
            sections=sections,
            change_note=note or None,
        )
        self._print(changed, o["json"])

    def _check(self, o: dict[str, Any]) -> None:
        self._print(
            services.filing_check(filing=self._filing(o), actor=user_named(o["user"])), o["json"]
        )

    def _sign(self, o: dict[str, Any]) -> None:
        from medrecall.cli.signing import signing_password

        filing = self._filing(o)
        user = user_named(o["user"])
        password = signing_password(
            username=user.username, password_file=o["password_file"], stdin=o.get("stdin")
        )
        signed = services.filing_sign(
            filing=filing, actor=user, password=password, username=user.username
        )
        self._print(signed, o["json"])

    def _submit(self, o: dict[str, Any]) -> None:
        filing = self._filing(o)
        user = user_named(o["user"])
        when = None
        if o["submitted_at"]:
            try:
                when = datetime.fromisoformat(o["submitted_at"])
            except ValueError as error:
                raise CommandError(_("--submitted-at is not an ISO date and time.")) from error
            if timezone.is_naive(when):
                raise CommandError(_("--submitted-at needs its time zone (e.g. +08:00)."))
        path = Path(o["acknowledgement"]) if o["acknowledgement"] else None
        try:
            data = path.read_bytes() if path else None
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s.")
                % {"path": path, "error": error.strerror or error}
            ) from error
        submitted = services.filing_submit(
            filing=filing,
            actor=user,
            authority=o["authority"],
            reference=o["reference"],
            submitted_at=when,
            acknowledgement=data,
            acknowledgement_name=path.name if path else "",
        )
        self._print(submitted, o["json"])

    def _revise(self, o: dict[str, Any]) -> None:
        new = services.filing_revise(
            filing=self._filing(o),
            actor=user_named(o["user"]),
            change_note=o["note"],
            change_note_en=o["note_en"],
        )
        self._print(new, o["json"])

    def _fda_record(self, o: dict[str, Any]) -> None:
        from medrecall.recalls.fda import (
            class_difference,
            class_kept_note,
            fda_record,
            fda_regime,
            z_number_entries,
        )

        recall = recall_numbered(o["number"])
        regime = fda_regime(recall)
        if any((o["fda_class"], o["event_id"], o["z"], o["classified_on"], o["class_kept_reason"])):
            try:
                day = date.fromisoformat(o["classified_on"]) if o["classified_on"] else None
            except ValueError as error:
                raise CommandError(_("--classified-on is not a date (YYYY-MM-DD).")) from error
            z_numbers = [entry for item in o["z"] for entry in z_number_entries(item)]
            regime = fda_record(
                recall=recall,
                actor=user_named(o["user"]),
                classification=o["fda_class"],
                event_id=o["event_id"],
                z_numbers=z_numbers,
                classified_on=day,
                class_kept_reason=o["class_kept_reason"],
            )
        if regime is None:
            raise CommandError(
                _("Recall %(recall)s has no FDA regime: there is nothing of FDA's to record.")
                % {"recall": recall.number}
            )
        row = {
            "recall": recall.number,
            "fda_class": regime.fda_class,
            "fda_event_id": regime.fda_event_id,
            "fda_z_numbers": regime.fda_z_numbers,
            "fda_classified_on": regime.fda_classified_on.isoformat()
            if regime.fda_classified_on
            else None,
            "case_class": regime.recall_class,
            "fda_class_kept_reason": regime.fda_class_kept_reason,
            "class_note": str(class_kept_note(regime) or ""),
            "class_warning": str(class_difference(regime) or ""),
        }
        if o["json"]:
            self.write_json(row)
            return
        self.write_fields(
            {k: v for k, v in row.items() if k not in ("class_warning", "class_note")}, width=21
        )
        if row["class_note"]:
            self.stdout.write(str(row["class_note"]))
        if row["class_warning"]:
            self.stdout.write(_("Warning: %(warning)s") % {"warning": row["class_warning"]})

    def _fsn_gate(self, o: dict[str, Any]) -> None:
        from medrecall.notices import fsn

        recall = recall_numbered(o["number"])
        if not recall.regimes.filter(regime="eu_mdr").exists():
            raise CommandError(
                _("%(recall)s has no EU MDR regime, so it has no field safety notice gate.")
                % {"recall": recall.number}
            )
        state = _iso_times(fsn.gate_state(recall))
        if o["json"]:
            self.write_json(state)
            return
        for key in ("fsca_report", "draft_fsn", "override"):
            found = state[key]
            shown = "; ".join(f"{k}: {v}" for k, v in found.items()) if found else "-"
            self.stdout.write(f"{key:<12} {shown}")
        self.stdout.write(f"{'srn':<12} {state['srn'] or '-'}")
        for problem in state["blocked_by"]:
            self.stdout.write(f"  - {problem}")

    def _fsn_override(self, o: dict[str, Any]) -> None:
        from medrecall.cli.signing import signing_password
        from medrecall.notices import fsn

        recall = recall_numbered(o["number"])
        user = user_named(o["user"])
        password = signing_password(
            username=user.username, password_file=o["password_file"], stdin=o.get("stdin")
        )
        fsn.fsn_override_sign(
            recall=recall,
            actor=user,
            reason=o["reason"],
            authority=o["authority"],
            reference=o["reference"],
            password=password,
            username=user.username,
        )
        self._fsn_gate(o)
