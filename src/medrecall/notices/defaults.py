"""The standard templates a new installation starts with, and the sections each regime
requires (docs/regulations.md, "Rules, code and tests"): NMPA recall notice (《医疗器械召回管理办法》 Art. 15),
FDA recall letter (21 CFR 7.49) and EU Field Safety Notice (MDR Art. 89(8), MEDDEV 2.12/1
template). The list of affected devices is not a section: every notice prints the holder's
own lines from the frozen scope."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# Sections a template of the kind must have, non-empty, before it can be approved.
REQUIRED_SECTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("nmpa", "initial"): ("reason", "actions", "handling", "contact"),
    ("fda", "initial"): ("reason", "hazard", "actions", "reply", "contact"),
    ("eu_mdr", "initial"): ("problem", "actions", "transmission", "contact", "closing"),
}
for _regime in ("nmpa", "fda", "eu_mdr"):
    REQUIRED_SECTIONS[(_regime, "reminder")] = ("reminder", "contact")
    REQUIRED_SECTIONS[(_regime, "progress")] = ("progress", "contact")
    REQUIRED_SECTIONS[(_regime, "survey")] = ("survey",)
    REQUIRED_SECTIONS[(_regime, "update")] = ("update", "reason", "actions", "contact")

# Placeholders a template of the kind must use somewhere: without them the holder is not told
# by when to reply, or gets an empty update or no way to answer the survey.
REQUIRED_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "initial": ("reply_by",),
    "reminder": ("reply_by",),
    "progress": ("progress_message",),
    "survey": ("survey_url",),
    "update": ("reply_by",),
}

# Placeholders a template may use, with what they hold (shown to template editors).
PLACEHOLDERS: dict[str, Any] = {
    "recall_number": _("the recall number"),
    "recall_title": _("the recall title"),
    "reason": _("the reason for the recall (in the notice's language)"),
    "defect": _("the defect (from the hazard evaluation, in the notice's language)"),
    "hazard": _("the possible harm (from the hazard evaluation, in the notice's language)"),
    "action": _("the type of action (removal or correction)"),
    "action_heading": _(
        "RECALL or CORRECTION as the recall's type of action (heading of an FDA letter)"
    ),
    "recall_class": _("the recall class / level for this regime"),
    "holder_name": _("the holder's name"),
    "contact_name": _("the recipient's name"),
    "units_total": _("the number of affected units this holder has"),
    "reply_url": _("the holder's personal reply link"),
    "reply_by": _("the date the reply is due"),
    "notice_date": _("the date of the notice"),
    "sequence": _("1 for the first notice, 2 for the second, …"),
    "company_name": _("our company's name"),
    "company_address": _("our company's address"),
    "company_phone": _("our recall hotline"),
    "company_email": _("our recall e-mail address"),
    "progress_message": _("the progress message (progress updates)"),
    "survey_url": _("the survey link (surveys)"),
    "company_srn": _("the manufacturer's single registration number (SRN, EU MDR)"),
    "fsca_authority": _("the competent authority the FSCA was reported to (from the FSCA record)"),
    "fsca_reported_on": _("the date the FSCA was reported to the authority (from the record)"),
    "fsca_reference": _("the authority's reference of the FSCA report (from the record)"),
}

_ZH_CONTACT = (
    "联系方式",
    "如有疑问，请联系{{ company_name }}召回专线 {{ company_phone }}，"
    "或发送邮件至 {{ company_email }}。地址：{{ company_address }}。",
)
_EN_CONTACT = (
    "Contact",
    "Questions: call the {{ company_name }} recall line on {{ company_phone }} or e-mail "
    "{{ company_email }}. Address: {{ company_address }}.",
)

# FDA letters (21 CFR 7.49(c)(2)): marked URGENT (required for Class I and II; the Chinese
# letter carries the English word as well) and headed RECALL or CORRECTION as the recall's type.
FDA_TITLE_EN = "URGENT: MEDICAL DEVICE {{ action_heading }}"
FDA_SUBJECT_EN = (
    "URGENT: Medical device {{ action_heading|lower }} {{ recall_number }} – {{ recall_title }}"
)
FDA_TITLE_ZH = "紧急（URGENT）：医疗器械{{ action_heading }}"
FDA_SUBJECT_ZH = (
    "紧急（URGENT）：医疗器械{{ action_heading }} {{ recall_number }} – {{ recall_title }}"
)
FDA_URGENT_PREFIX = {"en": "URGENT: ", "zh-hans": "紧急（URGENT）："}

INITIAL: dict[tuple[str, str], tuple[str, str, list[tuple[str, str, str]]]] = {
    ("nmpa", "zh-hans"): (
        "医疗器械召回通知",
        "【医疗器械召回通知】{{ recall_number }} {{ recall_title }}",
        [
            (
                "reason",
                "召回原因",
                "{{ company_name }}决定对下列医疗器械实施{{ recall_class }}级召回。召回原因：{{ reason }}\n\n"
                "缺陷说明：{{ defect }}\n\n可能的健康危害：{{ hazard }}",
            ),
            (
                "actions",
                "需采取的措施",
                "请贵单位立即停止销售和使用下列产品，将其隔离存放并清点数量；如贵单位已将产品销售或调拨给其他"
                "经营企业或使用单位，请立即将本通知转告对方，并在回执中填写其名称、地址、联系人和数量。"
                "请于 {{ reply_by }} 前通过以下链接填写回执：{{ reply_url }}",
            ),
            (
                "handling",
                "产品处理方式",
                "召回产品将由我公司安排退回、更换或现场纠正（{{ action }}），所需费用由我公司承担。"
                "请勿自行销毁，除非我公司另行书面通知。",
            ),
            ("contact", *_ZH_CONTACT),
        ],
    ),
    ("nmpa", "en"): (
        "Medical device recall notice",
        "[Medical device recall] {{ recall_number }} {{ recall_title }}",
        [
            (
                "reason",
                "Reason for the recall",
                "{{ company_name }} is carrying out a level {{ recall_class }} recall of the "
                "devices listed below. Reason: {{ reason }}\n\nDefect: {{ defect }}\n\n"
                "Possible harm: {{ hazard }}",
            ),
            (
                "actions",
                "What you must do",
                "Stop selling and using the devices listed below at once, keep them apart and "
                "count them. If you passed any of them on to other distributors or users, "
                "forward this notice to them now and name them in your reply. Reply by "
                "{{ reply_by }} at: {{ reply_url }}",
            ),
            (
                "handling",
                "How the devices will be handled",
                "We will arrange return, replacement or correction on site "
                "({{ action }}) at our cost. Do not destroy devices unless we "
                "ask you to in writing.",
            ),
            ("contact", *_EN_CONTACT),
        ],
    ),
    ("fda", "en"): (
        FDA_TITLE_EN,
        FDA_SUBJECT_EN,
        [
            (
                "reason",
                "Reason for the recall",
                "{{ company_name }} is recalling the products listed below (Class "
                "{{ recall_class }}, {{ action }}). {{ reason }}\n\nDefect: {{ defect }}",
            ),
            ("hazard", "Risk to health", "{{ hazard }}"),
            (
                "actions",
                "Actions to take now",
                "1. Stop further distribution and use of the listed products immediately.\n"
                "2. Identify and quarantine all units you hold.\n"
                "3. If you distributed the products further, notify your customers at once "
                "and list them in your reply.",
            ),
            (
                "reply",
                "Reply",
                "Complete the response form by {{ reply_by }} even if you no longer hold any units: "
                "{{ reply_url }}",
            ),
            ("contact", *_EN_CONTACT),
        ],
    ),
    ("fda", "zh-hans"): (
        FDA_TITLE_ZH,
        FDA_SUBJECT_ZH,
        [
            (
                "reason",
                "召回原因",
                "{{ company_name }}正在召回下列产品（{{ recall_class }} 类，{{ action }}）。{{ reason }}\n\n"
                "缺陷：{{ defect }}",
            ),
            ("hazard", "健康风险", "{{ hazard }}"),
            (
                "actions",
                "请立即采取的措施",
                "1. 立即停止进一步分销和使用所列产品。\n2. 清点并隔离贵单位持有的全部产品。\n"
                "3. 如已向下游分销，请立即通知贵单位的客户，并在回执中列明。",
            ),
            (
                "reply",
                "回执",
                "即使贵单位已不再持有任何产品，也请于 {{ reply_by }} 前填写回执：{{ reply_url }}",
            ),
            ("contact", *_ZH_CONTACT),
        ],
    ),
    ("eu_mdr", "en"): (
        "Urgent Field Safety Notice",
        "Urgent Field Safety Notice {{ recall_number }} – {{ recall_title }}",
        [
            (
                "problem",
                "Description of the problem",
                "{{ reason }}\n\nDeficiency: {{ defect }}\n\nHazard of continued use: {{ hazard }}",
            ),
            (
                "actions",
                "Advice on action to be taken by the user",
                "Identify and quarantine the affected devices listed "
                "below; {{ action }} will follow as we arrange it with "
                "you. Return the confirmation form by {{ reply_by }}: "
                "{{ reply_url }}",
            ),
            (
                "transmission",
                "Transmission of this notice",
                "Pass this notice on to everyone in your organisation who needs "
                "to know and to any organisation the devices went to. Keep it "
                "visible until the action is complete.",
            ),
            (
                "contact",
                "Contact reference person",
                "{{ company_name }} (SRN {{ company_srn }}), {{ company_address }}, "
                "{{ company_phone }}, {{ company_email }}",
            ),
            (
                "closing",
                "Closing",
                "The competent authority ({{ fsca_authority }}) was informed of this Field Safety "
                "Corrective Action on {{ fsca_reported_on }} (reference: {{ fsca_reference }}).",
            ),
        ],
    ),
    ("eu_mdr", "zh-hans"): (
        "紧急现场安全通知",
        "紧急现场安全通知 {{ recall_number }} – {{ recall_title }}",
        [
            (
                "problem",
                "问题描述",
                "{{ reason }}\n\n缺陷：{{ defect }}\n\n继续使用的危害：{{ hazard }}",
            ),
            (
                "actions",
                "用户应采取的措施",
                "请识别并隔离下列受影响器械；我们将与贵单位协商安排{{ action }}。"
                "请于 {{ reply_by }} 前返回确认表：{{ reply_url }}",
            ),
            (
                "transmission",
                "通知的传达",
                "请将本通知传达给贵单位内所有需要知悉的人员，以及器械流向的所有机构，并在措施完成前保持知悉。",
            ),
            (
                "contact",
                "联系人",
                "{{ company_name }}（单一注册号 SRN：{{ company_srn }}），{{ company_address }}，"
                "{{ company_phone }}，{{ company_email }}",
            ),
            (
                "closing",
                "结束语",
                "本现场安全纠正措施已于 {{ fsca_reported_on }} 告知主管当局（{{ fsca_authority }}），"
                "编号：{{ fsca_reference }}。",
            ),
        ],
    ),
}

# Field safety notices in the language of the Member State (MDR Art. 89(8)): German and French
# ship approved with the standard ones; any other EU language gets its own template (a holder
# whose language has none is refused, naming the language).
INITIAL[("eu_mdr", "de")] = (
    "Dringende Sicherheitsinformation",
    "Dringende Sicherheitsinformation {{ recall_number }} – {{ recall_title }}",
    [
        (
            "problem",
            "Beschreibung des Problems",
            "{{ reason }}\n\nMangel: {{ defect }}\n\nGefahr bei weiterer Verwendung: {{ hazard }}",
        ),
        (
            "actions",
            "Vom Anwender zu ergreifende Maßnahmen",
            "Identifizieren und isolieren Sie die unten aufgeführten betroffenen Produkte; "
            "die Maßnahme ({{ action }}) stimmen wir mit Ihnen ab. Senden Sie das "
            "Antwortformular bis {{ reply_by }} zurück: {{ reply_url }}",
        ),
        (
            "transmission",
            "Weiterleitung dieser Sicherheitsinformation",
            "Leiten Sie diese Information an alle Personen in Ihrer Einrichtung weiter, die davon "
            "Kenntnis haben müssen, sowie an alle Einrichtungen, an die die Produkte abgegeben "
            "wurden. Halten Sie sie bis zum Abschluss der Maßnahme bekannt.",
        ),
        (
            "contact",
            "Kontaktperson",
            "{{ company_name }} (SRN {{ company_srn }}), {{ company_address }}, "
            "{{ company_phone }}, {{ company_email }}",
        ),
        (
            "closing",
            "Abschluss",
            "Die zuständige Behörde ({{ fsca_authority }}) wurde am {{ fsca_reported_on }} über "
            "diese Sicherheitskorrekturmaßnahme im Feld informiert (Aktenzeichen: "
            "{{ fsca_reference }}).",
        ),
    ],
)
INITIAL[("eu_mdr", "fr")] = (
    "Avis de sécurité urgent",
    "Avis de sécurité urgent {{ recall_number }} – {{ recall_title }}",
    [
        (
            "problem",
            "Description du problème",
            "{{ reason }}\n\nDéfaut : {{ defect }}\n\nRisque en cas d'utilisation continue : "
            "{{ hazard }}",
        ),
        (
            "actions",
            "Mesures à prendre par l'utilisateur",
            "Identifiez et mettez en quarantaine les dispositifs concernés énumérés ci-dessous ; "
            "nous conviendrons avec vous de la mesure ({{ action }}). Renvoyez le formulaire de "
            "réponse avant le {{ reply_by }} : {{ reply_url }}",
        ),
        (
            "transmission",
            "Transmission de cet avis",
            "Transmettez cet avis à toutes les personnes de votre établissement qui doivent en "
            "être informées et à tout établissement auquel les dispositifs ont été remis. "
            "Gardez-le visible jusqu'à la fin de l'action.",
        ),
        (
            "contact",
            "Personne de contact",
            "{{ company_name }} (SRN {{ company_srn }}), {{ company_address }}, "
            "{{ company_phone }}, {{ company_email }}",
        ),
        (
            "closing",
            "Conclusion",
            "L'autorité compétente ({{ fsca_authority }}) a été informée de cette mesure "
            "corrective de sécurité le {{ fsca_reported_on }} (référence : {{ fsca_reference }}).",
        ),
    ],
)

# The EU follow-ups in German and French (reminders, updates, progress, survey).
EU_FOLLOW_UPS: dict[tuple[str, str], tuple[str, str, list[tuple[str, str, str]]]] = {
    ("reminder", "de"): (
        "Dringende Sicherheitsinformation ({{ sequence }}. Mitteilung)",
        "[{{ sequence }}. Mitteilung] {{ recall_number }} {{ recall_title }}",
        [
            (
                "reminder",
                "Ihre Antwort fehlt noch",
                "Zu {{ recall_number }} liegt uns Ihre Antwort noch nicht vor. Die unten "
                "aufgeführten Produkte können sich noch bei Ihnen befinden: verwenden Sie sie "
                "nicht weiter und antworten Sie bis {{ reply_by }}: {{ reply_url }}\n\n"
                "Grund: {{ reason }}\n\nSRN {{ company_srn }}",
            ),
            ("contact", "Kontakt", "{{ company_name }}, {{ company_phone }}, {{ company_email }}"),
        ],
    ),
    ("reminder", "fr"): (
        "Avis de sécurité urgent ({{ sequence }}e avis)",
        "[{{ sequence }}e avis] {{ recall_number }} {{ recall_title }}",
        [
            (
                "reminder",
                "Nous n'avons pas reçu votre réponse",
                "Nous n'avons pas encore reçu votre réponse pour {{ recall_number }}. Les "
                "dispositifs ci-dessous peuvent encore être chez vous : cessez de les utiliser et "
                "répondez avant le {{ reply_by }} : {{ reply_url }}\n\nMotif : {{ reason }}\n\n"
                "SRN {{ company_srn }}",
            ),
            ("contact", "Contact", "{{ company_name }}, {{ company_phone }}, {{ company_email }}"),
        ],
    ),
    ("update", "de"): (
        "Dringende Sicherheitsinformation (Aktualisierung)",
        "[Aktualisierung] {{ recall_number }} {{ recall_title }}",
        [
            (
                "update",
                "Weitere Produkte betroffen",
                "Der Umfang von {{ recall_number }} wurde erweitert: die unten aufgeführten "
                "Produkte sind ebenfalls betroffen und waren in unserer früheren Mitteilung nicht "
                "enthalten.",
            ),
            ("reason", "Grund", "{{ reason }}\n\nMangel: {{ defect }}\n\nGefahr: {{ hazard }}"),
            (
                "actions",
                "Zu ergreifende Maßnahmen",
                "Identifizieren und isolieren Sie die Produkte und antworten Sie bis "
                "{{ reply_by }}: {{ reply_url }}",
            ),
            (
                "contact",
                "Kontakt",
                "{{ company_name }} (SRN {{ company_srn }}), {{ company_phone }}, "
                "{{ company_email }}",
            ),
        ],
    ),
    ("update", "fr"): (
        "Avis de sécurité urgent (mise à jour)",
        "[Mise à jour] {{ recall_number }} {{ recall_title }}",
        [
            (
                "update",
                "D'autres dispositifs sont concernés",
                "Le périmètre de {{ recall_number }} a été étendu : les dispositifs énumérés "
                "ci-dessous sont également concernés et ne figuraient pas dans notre avis précédent.",
            ),
            (
                "reason",
                "Motif",
                "{{ reason }}\n\nDéfaut : {{ defect }}\n\nRisque : {{ hazard }}",
            ),
            (
                "actions",
                "Mesures à prendre",
                "Identifiez et isolez les dispositifs et répondez avant le {{ reply_by }} : "
                "{{ reply_url }}",
            ),
            (
                "contact",
                "Contact",
                "{{ company_name }} (SRN {{ company_srn }}), {{ company_phone }}, "
                "{{ company_email }}",
            ),
        ],
    ),
    ("progress", "de"): (
        "Stand der Sicherheitskorrekturmaßnahme",
        "Stand {{ recall_number }}",
        [
            ("progress", "Stand", "{{ progress_message }}"),
            ("contact", "Kontakt", "{{ company_name }}, {{ company_phone }}, {{ company_email }}"),
        ],
    ),
    ("progress", "fr"): (
        "Avancement de la mesure corrective",
        "Avancement {{ recall_number }}",
        [
            ("progress", "Avancement", "{{ progress_message }}"),
            ("contact", "Contact", "{{ company_name }}, {{ company_phone }}, {{ company_email }}"),
        ],
    ),
    ("survey", "de"): (
        "Umfrage zur Sicherheitskorrekturmaßnahme",
        "{{ recall_number }} ist abgeschlossen: eine Minute für Ihre Rückmeldung",
        [
            (
                "survey",
                "Vielen Dank",
                "{{ recall_number }} ist abgeschlossen. Sagen Sie uns, wie wir sie durchgeführt "
                "haben (zwei Fragen, eine Minute): {{ survey_url }}",
            ),
        ],
    ),
    ("survey", "fr"): (
        "Enquête sur la mesure corrective",
        "{{ recall_number }} est terminée : une minute pour votre avis",
        [
            (
                "survey",
                "Merci",
                "{{ recall_number }} est terminée. Dites-nous comment nous l'avons menée (deux "
                "questions, une minute) : {{ survey_url }}",
            ),
        ],
    ),
}

FOLLOW_UPS: dict[tuple[str, str], tuple[str, str, list[tuple[str, str, str]]]] = {
    ("reminder", "zh-hans"): (
        "召回通知（第{{ sequence }}次通知）",
        "【第{{ sequence }}次通知】{{ recall_number }} {{ recall_title }}",
        [
            (
                "reminder",
                "尚未收到贵单位回执",
                "我们尚未收到贵单位对召回 {{ recall_number }} 的回执。下列产品仍可能在贵单位："
                "请立即停止使用并于 {{ reply_by }} 前填写回执：{{ reply_url }}\n\n召回原因：{{ reason }}",
            ),
            ("contact", *_ZH_CONTACT),
        ],
    ),
    ("reminder", "en"): (
        "Recall notice (notice no. {{ sequence }})",
        "[Notice no. {{ sequence }}] {{ recall_number }} {{ recall_title }}",
        [
            (
                "reminder",
                "We have not received your reply",
                "We have no reply from you yet for recall {{ recall_number }}. "
                "The devices below may still be with you: stop using them and "
                "reply by {{ reply_by }}: {{ reply_url }}\n\nReason: {{ reason }}",
            ),
            ("contact", *_EN_CONTACT),
        ],
    ),
    ("progress", "zh-hans"): (
        "召回进展通知",
        "召回进展 {{ recall_number }}",
        [
            ("progress", "进展", "{{ progress_message }}"),
            ("contact", *_ZH_CONTACT),
        ],
    ),
    ("progress", "en"): (
        "Recall progress update",
        "Recall progress {{ recall_number }}",
        [
            ("progress", "Progress", "{{ progress_message }}"),
            ("contact", *_EN_CONTACT),
        ],
    ),
    ("survey", "zh-hans"): (
        "召回满意度调查",
        "召回 {{ recall_number }} 已完成：请花一分钟评价",
        [
            (
                "survey",
                "感谢您的配合",
                "召回 {{ recall_number }} 已经完成。请通过以下链接告诉我们处理得如何（两道题，一分钟）："
                "{{ survey_url }}",
            ),
        ],
    ),
    ("survey", "en"): (
        "Recall satisfaction survey",
        "Recall {{ recall_number }} is complete: one minute of feedback",
        [
            (
                "survey",
                "Thank you",
                "Recall {{ recall_number }} is complete. Tell us how we handled it (two questions, one "
                "minute): {{ survey_url }}",
            ),
        ],
    ),
}

# An updated notice: a re-scope added affected units to a holder already notified; it lists
# only the added lines, repeats what the holder must do, and its reply link opens the
# holder's reply form, which shows the added lines too.
FOLLOW_UPS[("update", "zh-hans")] = (
    "紧急：医疗器械召回通知（更新）",
    "【召回通知更新】{{ recall_number }} {{ recall_title }}",
    [
        (
            "update",
            "召回范围已扩大",
            "召回 {{ recall_number }} 的范围已经扩大：下列产品现在也在召回范围内，"
            "是我公司此前通知中未列出的。",
        ),
        (
            "reason",
            "召回原因",
            "召回原因：{{ reason }}\n\n缺陷说明：{{ defect }}\n\n可能的健康危害：{{ hazard }}",
        ),
        (
            "actions",
            "需采取的措施",
            "请贵单位立即停止销售和使用下列产品，将其隔离存放并清点数量；如已销售或调拨给其他单位，"
            "请立即转告对方。请于 {{ reply_by }} 前通过以下链接填写回执（回执中已列出新增产品）："
            "{{ reply_url }}",
        ),
        ("contact", *_ZH_CONTACT),
    ],
)
FOLLOW_UPS[("update", "en")] = (
    "URGENT: Updated medical device recall notice",
    "[Recall update] {{ recall_number }} {{ recall_title }}",
    [
        (
            "update",
            "The recall now covers more devices",
            "The scope of recall {{ recall_number }} has been extended: "
            "the devices listed below are now affected too; they were "
            "not in our earlier notice.",
        ),
        (
            "reason",
            "Reason for the recall",
            "Reason: {{ reason }}\n\nDefect: {{ defect }}\n\nPossible harm: {{ hazard }}",
        ),
        (
            "actions",
            "What you must do",
            "Stop selling and using the devices listed below at once, keep them apart and "
            "count them. If you passed any of them on, forward this notice now. Reply by "
            "{{ reply_by }} at: {{ reply_url }} (the form lists the added devices).",
        ),
        ("contact", *_EN_CONTACT),
    ],
)


def standard_templates() -> list[dict[str, Any]]:
    """Every standard template as field values (regime × language × kind)."""
    found = []
    for (regime, language), (title, subject, sections) in INITIAL.items():
        found.append(
            {
                "regime": regime,
                "language": language,
                "kind": "initial",
                "title": title,
                "subject": subject,
                "sections": [{"key": k, "heading": h, "body": b} for k, h, b in sections],
            }
        )
    for regime in ("nmpa", "fda", "eu_mdr"):
        for (kind, language), (title, subject, sections) in FOLLOW_UPS.items():
            if regime == "fda" and kind == "reminder":  # the 2nd and 3rd letter are marked too
                title, subject = (
                    FDA_URGENT_PREFIX[language] + title,
                    FDA_URGENT_PREFIX[language] + subject,
                )
            found.append(
                {
                    "regime": regime,
                    "language": language,
                    "kind": kind,
                    "title": title,
                    "subject": subject,
                    "sections": [{"key": k, "heading": h, "body": b} for k, h, b in sections],
                }
            )
    for (kind, language), (title, subject, sections) in EU_FOLLOW_UPS.items():
        found.append(
            {
                "regime": "eu_mdr",
                "language": language,
                "kind": kind,
                "title": title,
                "subject": subject,
                "sections": [{"key": k, "heading": h, "body": b} for k, h, b in sections],
            }
        )
    return found


def seed_templates(*, using: str = "default") -> int:
    """Create the standard templates (approved, version 1) where a regime/language/kind has none."""
    from django.utils import timezone

    from .models import NoticeTemplate, TemplateStatus

    have = set(NoticeTemplate.objects.using(using).values_list("regime", "language", "kind"))
    new = [
        NoticeTemplate(
            version=1,
            status=TemplateStatus.APPROVED,
            approved_at=timezone.now(),
            change_note="Standard template",
            **values,
        )
        for values in standard_templates()
        if (values["regime"], values["language"], values["kind"]) not in have
    ]
    NoticeTemplate.objects.using(using).bulk_create(new)
    return len(new)
