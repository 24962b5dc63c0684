"""Default approval steps per regime and class (editable in the admin afterwards)."""

from django.db import migrations

STEPS = (
    ("nmpa", "I", "qa_head", "QA head"), ("nmpa", "I", "ra_head", "RA head"),
    ("nmpa", "II", "qa_head", "QA head"), ("nmpa", "III", "qa_head", "QA head"),
    ("fda", "I", "qa_head", "QA head"), ("fda", "I", "ra_head", "RA head"),
    ("fda", "II", "qa_head", "QA head"), ("fda", "III", "qa_head", "QA head"),
    ("eu_mdr", "fsca", "qa_head", "QA head"), ("eu_mdr", "fsca", "ra_head", "RA head"),
)


def add_steps(apps, schema_editor):
    ApprovalStep = apps.get_model("recalls", "ApprovalStep")
    for regime, recall_class, step, label in STEPS:
        ApprovalStep.objects.get_or_create(regime=regime, recall_class=recall_class, step=step,
                                           defaults={"label": label, "group": "qa_ra_manager"})


def remove_steps(apps, schema_editor):
    ApprovalStep = apps.get_model("recalls", "ApprovalStep")
    for regime, recall_class, step, _label in STEPS:
        ApprovalStep.objects.filter(regime=regime, recall_class=recall_class, step=step).delete()


class Migration(migrations.Migration):
    dependencies = [("recalls", "0002_deadlines")]
    operations = [migrations.RunPython(add_steps, remove_steps)]
