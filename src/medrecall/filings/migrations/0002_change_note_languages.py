
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('filings', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='filing',
            name='change_note_en',
            field=models.TextField(blank=True, verbose_name='what changed (English)'),
        ),
    ]
