# Budget, forecast assumptions and budget alerts of a recall.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models



class Migration(migrations.Migration):
    dependencies = [
        ("execution", "0004_evidence_names"),
        ("finance", "0002_rates"),
        ("recalls", "0006_rescope_baseline"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RecallBudget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('total', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='budget')),
                ('currency', models.CharField(max_length=3, verbose_name='currency')),
                ('planned_disposition', models.CharField(blank=True, choices=[('repair', 'Repair / rework'), ('replace', 'Replace'), ('destroy', 'Destroy'), ('return_to_supplier', 'Return to supplier'), ('release', 'Release after inspection')], help_text='For units whose disposition is not decided yet.', max_length=20, verbose_name='planned disposition')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='version')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('planned_provider', models.ForeignKey(blank=True, help_text='For work orders not opened yet.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='execution.serviceprovider', verbose_name='planned service provider')),
                ('recall', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='budget', to='recalls.recallcase', verbose_name='recall')),
                ('updated_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'recall budget',
                'verbose_name_plural': 'recall budgets',
            },
        ),
        migrations.CreateModel(
            name='BudgetLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('category', models.CharField(choices=[('logistics', 'Logistics'), ('repair', 'Repair / rework'), ('destruction', 'Destruction'), ('replacement', 'Replacement units'), ('labour', 'Labour'), ('compensation', 'Compensation / refund'), ('legal', 'Legal / regulatory'), ('communication', 'Communication'), ('other', 'Other')], max_length=16, verbose_name='category')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='amount')),
                ('budget', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='finance.recallbudget')),
            ],
            options={
                'verbose_name': 'budget line',
                'verbose_name_plural': 'budget lines',
                'ordering': ['budget', 'category'],
            },
        ),
        migrations.CreateModel(
            name='BudgetAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('budget_version', models.PositiveIntegerField(verbose_name='budget version')),
                ('kind', models.CharField(choices=[('actual', 'Actual cost reached'), ('forecast', 'Forecast reached')], max_length=10, verbose_name='alert')),
                ('threshold', models.PositiveSmallIntegerField(verbose_name='threshold (% of budget)')),
                ('budget', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='budget')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='amount')),
                ('currency', models.CharField(max_length=3, verbose_name='currency')),
                ('raised_at', models.DateTimeField(auto_now_add=True, verbose_name='raised at')),
                ('mailed_at', models.DateTimeField(blank=True, null=True, verbose_name='mailed at')),
                ('recall', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='budget_alerts', to='recalls.recallcase', verbose_name='recall')),
            ],
            options={
                'verbose_name': 'budget alert',
                'verbose_name_plural': 'budget alerts',
                'ordering': ['-raised_at', '-pk'],
                'constraints': [models.UniqueConstraint(fields=('recall', 'budget_version', 'kind', 'threshold'), name='finance_budget_alert_once')],
            },
        ),
        migrations.AddConstraint(
            model_name='recallbudget',
            constraint=models.CheckConstraint(condition=models.Q(('total__gt', 0)), name='finance_budget_positive'),
        ),
        migrations.AddConstraint(
            model_name='budgetline',
            constraint=models.UniqueConstraint(fields=('budget', 'category'), name='finance_budget_line_once_per_category'),
        ),
        migrations.AddConstraint(
            model_name='budgetline',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='finance_budget_line_not_negative'),
        ),
    ]
