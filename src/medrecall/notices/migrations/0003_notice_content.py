"""Notice content in the reader's language.

1. The frozen lines of existing notices get the device's English name (``model_en``) beside
   the Chinese one, so pages and re-rendered notices print the reader's.
2. Installations still using the standard FDA letters get a new approved version marked
   "URGENT" with a heading that follows the recall's type of action (RECALL / CORRECTION),
   and the 2nd/3rd FDA letters marked URGENT; a template the company changed is left alone
   (its approval is then checked when a Class I/II letter goes out).
The reverse removes both.
"""

from django.db import migrations
from django.utils import timezone

NOTE = "Standard template: URGENT marking and RECALL/CORRECTION heading (21 CFR 7.49)"
OLD_TO_NEW = {
    ("en", "initial", "URGENT: MEDICAL DEVICE RECALL"): (
        "URGENT: MEDICAL DEVICE {{ action_heading }}",
        "URGENT: Medical device {{ action_heading|lower }} {{ recall_number }} – {{ recall_title }}"),
    ("zh-hans", "initial", "紧急：医疗器械召回"): (
        "紧急（URGENT）：医疗器械{{ action_heading }}",
        "紧急（URGENT）：医疗器械{{ action_heading }} {{ recall_number }} – {{ recall_title }}"),
    ("en", "reminder", "Recall notice (notice no. {{ sequence }})"): (
        "URGENT: Recall notice (notice no. {{ sequence }})",
        "URGENT: [Notice no. {{ sequence }}] {{ recall_number }} {{ recall_title }}"),
    ("zh-hans", "reminder", "召回通知（第{{ sequence }}次通知）"): (
        "紧急（URGENT）：召回通知（第{{ sequence }}次通知）",
        "紧急（URGENT）：【第{{ sequence }}次通知】{{ recall_number }} {{ recall_title }}"),
}


def lines_with_english_names(apps, schema_editor):
    Notice = apps.get_model("notices", "Notice")
    Lot = apps.get_model("catalog", "Lot")
    pending = []
    for notice in Notice.objects.exclude(lines=[]).only("pk", "lines").iterator(chunk_size=2000):
        if all("model_en" in line for line in notice.lines):
            continue
        pending.append(notice)
    lot_ids = {line.get("lot_id") for notice in pending for line in notice.lines}
    names = dict(Lot.objects.filter(pk__in=lot_ids).values_list("pk", "device_model__name_en"))
    for notice in pending:
        notice.lines = [line | {"model_en": names.get(line.get("lot_id")) or ""} for line in notice.lines]
    Notice.objects.bulk_update(pending, ["lines"], batch_size=1000)


def lines_without_english_names(apps, schema_editor):
    Notice = apps.get_model("notices", "Notice")
    changed = []
    for notice in Notice.objects.exclude(lines=[]).only("pk", "lines").iterator(chunk_size=2000):
        if any("model_en" in line for line in notice.lines):
            notice.lines = [{k: v for k, v in line.items() if k != "model_en"} for line in notice.lines]
            changed.append(notice)
    Notice.objects.bulk_update(changed, ["lines"], batch_size=1000)


def fda_letters_marked(apps, schema_editor):
    NoticeTemplate = apps.get_model("notices", "NoticeTemplate")
    for template in NoticeTemplate.objects.filter(regime="fda", status="approved", kind__in=("initial", "reminder")):
        new = OLD_TO_NEW.get((template.language, template.kind, template.title))
        if new is None:
            continue
        template.status = "retired"
        template.save(update_fields=["status", "updated_at"])
        NoticeTemplate.objects.create(
            regime="fda", language=template.language, kind=template.kind, version=template.version + 1,
            status="approved", title=new[0], subject=new[1], sections=template.sections, change_note=NOTE,
            approved_at=timezone.now())


def fda_letters_unmarked(apps, schema_editor):
    NoticeTemplate = apps.get_model("notices", "NoticeTemplate")
    Notice = apps.get_model("notices", "Notice")
    for template in NoticeTemplate.objects.filter(regime="fda", status="approved", change_note=NOTE):
        previous = NoticeTemplate.objects.filter(regime="fda", language=template.language, kind=template.kind,
                                                 version__lt=template.version).order_by("-version").first()
        if Notice.objects.filter(template=template).exists():
            continue  # sent notices refer to it: keep it
        template.delete()
        if previous is not None:
            previous.status = "approved"
            previous.save(update_fields=["status", "updated_at"])


class Migration(migrations.Migration):

    dependencies = [
        ("notices", "0001_initial"),
        ("catalog", "0002_serial_without_database_foreign_keys"),
    ]

    operations = [
        migrations.RunPython(lines_with_english_names, lines_without_english_names),
        migrations.RunPython(fda_letters_marked, fda_letters_unmarked),
    ]
