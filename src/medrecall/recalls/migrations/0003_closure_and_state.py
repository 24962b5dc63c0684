import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recalls", "0002_deadlines"),
        ("accounts", "0002_signatures"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ClosureException',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField(verbose_name='reason for closing with units outstanding')),
                ('findings', models.JSONField(default=list, verbose_name='outstanding when signed')),
                ('signed_at', models.DateTimeField(verbose_name='signed at')),
                ('recall', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='closure_exceptions', to='recalls.recallcase', verbose_name='recall')),
                ('signature', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.signature', verbose_name='signature')),
                ('signed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='signed by')),
            ],
            options={
                'verbose_name': 'closure exception',
                'verbose_name_plural': 'closure exceptions',
                'ordering': ['signed_at', 'pk'],
            },
        ),
    ]
