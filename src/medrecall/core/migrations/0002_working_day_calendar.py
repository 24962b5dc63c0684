"""Working-day calendars the company maintains: dated holidays and make-up working days,
years marked entered, and the once-only alert that a calendar's known data ends."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CalendarEndAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('calendar', models.CharField(choices=[('CN', 'China (State Council holiday arrangement)'), ('US', 'United States (federal holidays)')], max_length=8, verbose_name='calendar')),
                ('end_year', models.PositiveSmallIntegerField(verbose_name='last covered year')),
                ('recipients', models.PositiveIntegerField(default=0, verbose_name='recipients')),
            ],
            options={
                'verbose_name': 'calendar end alert',
                'verbose_name_plural': 'calendar end alerts',
                'constraints': [models.UniqueConstraint(fields=('calendar', 'end_year'), name='core_calendarendalert_unique')],
            },
        ),
        migrations.CreateModel(
            name='CalendarYear',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('calendar', models.CharField(choices=[('CN', 'China (State Council holiday arrangement)'), ('US', 'United States (federal holidays)')], max_length=8, verbose_name='calendar')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('note', models.CharField(blank=True, max_length=255, verbose_name='source')),
                ('entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='marked entered by')),
            ],
            options={
                'verbose_name': 'calendar year entered',
                'verbose_name_plural': 'calendar years entered',
                'ordering': ['calendar', 'year'],
                'constraints': [models.UniqueConstraint(fields=('calendar', 'year'), name='core_calendaryear_unique')],
            },
        ),
        migrations.CreateModel(
            name='WorkingDayEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('calendar', models.CharField(choices=[('CN', 'China (State Council holiday arrangement)'), ('US', 'United States (federal holidays)')], max_length=8, verbose_name='calendar')),
                ('date', models.DateField(verbose_name='date')),
                ('kind', models.CharField(choices=[('holiday', 'Holiday (no work)'), ('workday', 'Make-up working day (调休)')], max_length=10, verbose_name='kind')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='entered by')),
            ],
            options={
                'verbose_name': 'working-day calendar entry',
                'verbose_name_plural': 'working-day calendar entries',
                'ordering': ['calendar', 'date'],
                'constraints': [models.UniqueConstraint(fields=('calendar', 'date'), name='core_workingday_calendar_date'), models.CheckConstraint(condition=models.Q(('kind__in', ['holiday', 'workday'])), name='core_workingday_kind_valid')],
            },
        ),
    ]
