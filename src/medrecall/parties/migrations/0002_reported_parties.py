import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Sub-consignees reported on a reply form are parties under review (reported by whom, verified or merged)."""

    dependencies = [
        ('parties', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='party',
            name='merged_into',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_parties', to='parties.party', verbose_name='merged into'),
        ),
        migrations.AddField(
            model_name='party',
            name='reported_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reported_parties', to='parties.party', verbose_name='reported by'),
        ),
        migrations.AddField(
            model_name='party',
            name='review',
            field=models.CharField(choices=[('established', 'Established'), ('unverified', 'Reported, unverified'), ('verified', 'Reported, verified'), ('merged', 'Reported, merged')], default='established', max_length=12, verbose_name='review'),
        ),
        migrations.AddField(
            model_name='party',
            name='reviewed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='reviewed at'),
        ),
        migrations.AddField(
            model_name='party',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='reviewed by'),
        ),
        migrations.AddIndex(
            model_name='party',
            index=models.Index(fields=['review'], name='parties_par_review_52aaba_idx'),
        ),
        migrations.AddConstraint(
            model_name='party',
            constraint=models.CheckConstraint(condition=models.Q(('review__in', ['established', 'unverified', 'verified', 'merged'])), name='party_review_known'),
        ),
        migrations.AddConstraint(
            model_name='party',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('reported_by__isnull', True), ('review', 'established')), models.Q(models.Q(('review', 'established'), _negated=True), ('reported_by__isnull', False)), _connector='OR'), name='party_review_reported'),
        ),
        migrations.AddConstraint(
            model_name='party',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('merged_into__isnull', False), ('review', 'merged')), models.Q(models.Q(('review', 'merged'), _negated=True), ('merged_into__isnull', True)), _connector='OR'), name='party_merged_names_target'),
        ),
    ]
