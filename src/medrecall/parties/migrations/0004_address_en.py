
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('parties', '0003_eu_languages'),
    ]

    operations = [
        migrations.AddField(
            model_name='party',
            name='address_en',
            field=models.CharField(blank=True, help_text='Street, district and city in English, for English documents (optional).', max_length=255, verbose_name='English street address'),
        ),
    ]
