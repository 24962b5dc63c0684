"""Evidence: room for the longer Office content types, and files already kept under the client's
name (``x.html``) moved to a generated name with the extension of their stored, detected type.

The copy is written and the row updated inside the migration's transaction; the old file is
deleted only after the commit, so a failed migration leaves every row pointing at a file."""

import posixpath
import uuid

from django.db import migrations, models, transaction

EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


def rename_files(apps, schema_editor):
    Evidence = apps.get_model("execution", "Evidence")
    for evidence in Evidence.objects.exclude(file="").iterator():
        storage, old = evidence.file.storage, evidence.file.name
        extension = EXTENSIONS.get(evidence.content_type, ".bin")
        stem = posixpath.splitext(posixpath.basename(old))[0]
        if len(stem) == 32 and old.endswith(extension) and all(c in "0123456789abcdef" for c in stem):
            continue  # already a generated name
        if not storage.exists(old):
            continue
        with storage.open(old, "rb") as content:
            new = storage.save(posixpath.join(posixpath.dirname(old), f"{uuid.uuid4().hex}{extension}"), content)
        Evidence.objects.filter(pk=evidence.pk).update(file=new)
        transaction.on_commit(lambda name=old, kept=storage: kept.delete(name))


class Migration(migrations.Migration):
    dependencies = [("execution", "0003_receiving_and_demo")]

    operations = [
        migrations.AlterField(
            model_name="evidence",
            name="content_type",
            field=models.CharField(max_length=100, verbose_name="type"),
        ),
        migrations.RunPython(rename_files, migrations.RunPython.noop),
    ]
