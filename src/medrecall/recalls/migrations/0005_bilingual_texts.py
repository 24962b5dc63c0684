"""Recall title, reason, defect and possible harm in Chinese (the plain fields) and English
(``_en``). Existing text without a single Chinese character is English: it moves to the
English field (the title is also kept as the required title, so lists keep showing it; a
Chinese notice refuses it until a Chinese title is entered). The reverse puts English text
back where the Chinese field is empty."""

import re

from django.db import migrations, models

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
MOVED = ("reason", "defect_description", "hazard_description")


def split_languages(apps, schema_editor):
    RecallCase = apps.get_model("recalls", "RecallCase")
    for recall in RecallCase.objects.all().only("pk", "title", *MOVED):
        changes = {}
        if recall.title and not HAN.search(recall.title):
            changes["title_en"] = recall.title
        for field in MOVED:
            text = getattr(recall, field)
            if text.strip() and not HAN.search(text):
                changes[f"{field}_en"], changes[field] = text, ""
        if changes:
            RecallCase.objects.filter(pk=recall.pk).update(**changes)


def join_languages(apps, schema_editor):
    RecallCase = apps.get_model("recalls", "RecallCase")
    for recall in RecallCase.objects.all().only("pk", *MOVED, *(f"{f}_en" for f in MOVED)):
        changes = {field: getattr(recall, f"{field}_en") for field in MOVED
                   if not getattr(recall, field).strip() and getattr(recall, f"{field}_en").strip()}
        if changes:
            RecallCase.objects.filter(pk=recall.pk).update(**changes)


class Migration(migrations.Migration):

    dependencies = [
        ("recalls", "0004_signing_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name="recallcase",
            name="defect_description_en",
            field=models.TextField(blank=True, verbose_name="defect (English)"),
        ),
        migrations.AddField(
            model_name="recallcase",
            name="hazard_description_en",
            field=models.TextField(blank=True, verbose_name="possible harm (English)"),
        ),
        migrations.AddField(
            model_name="recallcase",
            name="reason_en",
            field=models.TextField(blank=True, verbose_name="reason for the recall (English)"),
        ),
        migrations.AddField(
            model_name="recallcase",
            name="title_en",
            field=models.CharField(blank=True, max_length=255, verbose_name="title (English)"),
        ),
        migrations.AlterField(
            model_name="recallcase",
            name="defect_description",
            field=models.TextField(blank=True, verbose_name="defect (Chinese)"),
        ),
        migrations.AlterField(
            model_name="recallcase",
            name="hazard_description",
            field=models.TextField(blank=True, verbose_name="possible harm (Chinese)"),
        ),
        migrations.AlterField(
            model_name="recallcase",
            name="reason",
            field=models.TextField(blank=True, verbose_name="reason for the recall (Chinese)"),
        ),
        migrations.AlterField(
            model_name="recallcase",
            name="title",
            field=models.CharField(max_length=255, verbose_name="title (Chinese)"),
        ),
        migrations.RunPython(split_languages, join_languages),
    ]
