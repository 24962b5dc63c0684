"""EU field safety notices: the FSCA gate and national-language templates.

1. Holders and templates may be in any official EU language (``parties.Language``).
2. The urgent override of the FSN gate (``FsnOverride``: reason, authority, signature).
3. Installations still on the standard EU FSN (en, zh-hans) get a new approved version whose
   closing sentence comes from the FSCA record (authority, date, reference) and which prints the
   manufacturer's SRN; a template the company changed is left alone (its approval is checked
   when an FSN goes out). The reverse removes these versions and approves the old ones again.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

# The official EU languages and Chinese, as ``parties.Language`` held them at this migration.
LANGUAGES = [
    ("zh-hans", "Simplified Chinese"),
    ("en", "English"),
    ("bg", "Bulgarian"),
    ("cs", "Czech"),
    ("da", "Danish"),
    ("de", "German"),
    ("el", "Greek"),
    ("es", "Spanish"),
    ("et", "Estonian"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("ga", "Irish"),
    ("hr", "Croatian"),
    ("hu", "Hungarian"),
    ("it", "Italian"),
    ("lt", "Lithuanian"),
    ("lv", "Latvian"),
    ("mt", "Maltese"),
    ("nl", "Dutch"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("sk", "Slovak"),
    ("sl", "Slovenian"),
    ("sv", "Swedish"),
]

NOTE = "Standard template: authority informed from the FSCA record, SRN (MDR Art. 89(8))"
OLD_CLOSING = {
    "en": "The competent authority has been informed of this Field Safety Corrective Action.",
    "zh-hans": "本现场安全纠正措施已告知主管当局。",
}
NEW_CLOSING = {
    "en": (
        "The competent authority ({{ fsca_authority }}) was informed of this Field Safety "
        "Corrective Action on {{ fsca_reported_on }} (reference: {{ fsca_reference }})."
    ),
    "zh-hans": (
        "本现场安全纠正措施已于 {{ fsca_reported_on }} 告知主管当局（{{ fsca_authority }}），"
        "编号：{{ fsca_reference }}。"
    ),
}
NEW_CONTACT = {
    "en": (
        "{{ company_name }} (SRN {{ company_srn }}), {{ company_address }}, {{ company_phone }}, "
        "{{ company_email }}"
    ),
    "zh-hans": (
        "{{ company_name }}（单一注册号 SRN：{{ company_srn }}），{{ company_address }}，"
        "{{ company_phone }}，{{ company_email }}"
    ),
}


def fsn_from_record(apps, schema_editor):
    NoticeTemplate = apps.get_model("notices", "NoticeTemplate")
    for template in NoticeTemplate.objects.filter(
        regime="eu_mdr", kind="initial", status="approved", language__in=list(OLD_CLOSING)
    ):
        sections = [dict(s) for s in template.sections]
        closing = next((s for s in sections if s.get("key") == "closing"), None)
        if closing is None or closing.get("body") != OLD_CLOSING[template.language]:
            continue
        closing["body"] = NEW_CLOSING[template.language]
        for section in sections:
            if section.get("key") == "contact" and "company_srn" not in section.get("body", ""):
                section["body"] = NEW_CONTACT[template.language]
        NoticeTemplate.objects.filter(pk=template.pk).update(status="retired")
        NoticeTemplate.objects.create(
            regime=template.regime,
            language=template.language,
            kind=template.kind,
            version=template.version + 1,
            status="approved",
            title=template.title,
            subject=template.subject,
            sections=sections,
            change_note=NOTE,
            approved_at=timezone.now(),
        )


def fsn_typed(apps, schema_editor):
    NoticeTemplate = apps.get_model("notices", "NoticeTemplate")
    for template in NoticeTemplate.objects.filter(
        regime="eu_mdr", kind="initial", change_note=NOTE
    ):
        NoticeTemplate.objects.filter(
            regime=template.regime,
            language=template.language,
            kind=template.kind,
            version=template.version - 1,
        ).update(status="approved" if template.status == "approved" else "retired")
        if template.status == "approved":
            template.delete()


class Migration(migrations.Migration):
    """EU field safety notices: the FSCA gate and national-language templates."""

    dependencies = [
        ("notices", "0006_reply_hardening"),
        ("accounts", "0003_signing"),
        ("recalls", "0008_eu_records"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AlterField(
            model_name="notice",
            name="language",
            field=models.CharField(
                choices=LANGUAGES,
                max_length=10,
                verbose_name="language",
            ),
        ),
        migrations.AlterField(
            model_name="noticetemplate",
            name="language",
            field=models.CharField(
                choices=LANGUAGES,
                max_length=10,
                verbose_name="language",
            ),
        ),
        migrations.CreateModel(
            name="FsnOverride",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "reason",
                    models.TextField(verbose_name="why the field safety notice cannot wait"),
                ),
                (
                    "authority",
                    models.CharField(max_length=255, verbose_name="competent authority informed"),
                ),
                (
                    "reference",
                    models.CharField(
                        help_text="Printed in the notice's sentence that the authority was informed.",
                        max_length=255,
                        verbose_name="how and when it was informed (reference)",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="signed at")),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "recall",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="fsn_override",
                        to="recalls.recallcase",
                        verbose_name="recall",
                    ),
                ),
                (
                    "signature",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.signature",
                    ),
                ),
            ],
            options={
                "verbose_name": "urgent FSN override",
                "verbose_name_plural": "urgent FSN overrides",
            },
        ),
        migrations.RunPython(fsn_from_record, fsn_typed),
    ]
