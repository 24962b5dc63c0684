# The vendor quotes, refunds and payments (issue 18, F3 and F4).

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_signing'),
        ('finance', '0003_budget'),
        ('notices', '0006_reply_hardening'),
        ('parties', '0002_reported_parties'),
        ('recalls', '0006_rescope_baseline'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApExportBatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=32, unique=True, verbose_name='batch number')),
                ('payment_count', models.PositiveIntegerField(verbose_name='payments')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='exported at')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'AP export batch',
                'verbose_name_plural': 'AP export batches',
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='Quote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('price', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='price')),
                ('currency', models.CharField(max_length=3, verbose_name='currency')),
                ('lead_time_days', models.PositiveIntegerField(verbose_name='lead time (days)')),
                ('coverage', models.CharField(blank=True, max_length=255, verbose_name='coverage')),
                ('quoted_on', models.DateField(verbose_name='quoted on')),
                ('valid_until', models.DateField(verbose_name='valid until')),
                ('notes', models.TextField(blank=True, verbose_name='notes')),
                ('attachment', models.FileField(blank=True, upload_to='finance/quotes/%Y/%m/', verbose_name='attachment')),
                ('attachment_name', models.CharField(blank=True, max_length=255, verbose_name='attachment file name')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('entered_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('vendor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='parties.party', verbose_name='vendor')),
            ],
            options={
                'verbose_name': 'quote',
                'verbose_name_plural': 'quotes',
                'ordering': ['request', 'price', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='QuoteRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=32, unique=True, verbose_name='request number')),
                ('kind', models.CharField(choices=[('logistics', 'Logistics'), ('repair', 'Repair / rework'), ('destruction', 'Destruction')], max_length=12, verbose_name='service')),
                ('description', models.TextField(verbose_name='what is to be done')),
                ('quantity', models.PositiveIntegerField(verbose_name='quantity (units)')),
                ('region', models.CharField(max_length=255, verbose_name='region / coverage needed')),
                ('due_on', models.DateField(verbose_name='quotes due by')),
                ('status', models.CharField(choices=[('open', 'Open for quotes'), ('awarded', 'Awarded'), ('cancelled', 'Cancelled')], default='open', max_length=10, verbose_name='status')),
                ('award_reason', models.TextField(blank=True, verbose_name='why this quote')),
                ('award_expired', models.BooleanField(default=False, verbose_name="awarded after the quote's validity")),
                ('award_rate', models.DecimalField(blank=True, decimal_places=8, max_digits=18, null=True, verbose_name='exchange rate on the award day')),
                ('award_company_price', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True, verbose_name='chosen price in company currency')),
                ('awarded_at', models.DateTimeField(blank=True, null=True, verbose_name='awarded at')),
                ('cancel_reason', models.TextField(blank=True, verbose_name='why cancelled')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('awarded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('awarded_quote', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='award_of', to='finance.quote', verbose_name='chosen quote')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('recall', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='quote_requests', to='recalls.recallcase', verbose_name='recall')),
            ],
            options={
                'verbose_name': 'request for quotes',
                'verbose_name_plural': 'requests for quotes',
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.AddField(
            model_name='quote',
            name='request',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='quotes', to='finance.quoterequest', verbose_name='request'),
        ),
        migrations.CreateModel(
            name='RefundRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=32, unique=True, verbose_name='request number')),
                ('source', models.CharField(choices=[('reply', "From the holder's reply"), ('offer', 'From an offer'), ('entered', 'Entered by staff')], max_length=8, verbose_name='source')),
                ('quantity', models.PositiveIntegerField(verbose_name='quantity (units)')),
                ('unit_price', models.DecimalField(decimal_places=2, max_digits=14, verbose_name="unit price on the holder's invoice")),
                ('invoice_reference', models.CharField(max_length=100, verbose_name='invoice (document reference)')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='amount')),
                ('currency', models.CharField(max_length=3, verbose_name='currency')),
                ('rate', models.DecimalField(decimal_places=8, max_digits=18, verbose_name='exchange rate')),
                ('company_amount', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='amount in company currency')),
                ('company_currency', models.CharField(max_length=3, verbose_name='company currency')),
                ('reason', models.TextField(blank=True, verbose_name='reason')),
                ('status', models.CharField(choices=[('requested', 'Requested'), ('awaiting_second', 'Awaiting second approval'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('paid', 'Paid')], default='requested', max_length=16, verbose_name='status')),
                ('requested_at', models.DateTimeField(verbose_name='requested at')),
                ('first_approved_at', models.DateTimeField(blank=True, null=True, verbose_name='first approval at')),
                ('second_approved_at', models.DateTimeField(blank=True, null=True, verbose_name='second approval at')),
                ('rejected_at', models.DateTimeField(blank=True, null=True, verbose_name='rejected at')),
                ('rejection_reason', models.TextField(blank=True, verbose_name='why rejected')),
                ('first_approver', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('holder', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='parties.party', verbose_name='holder')),
                ('offer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='notices.offer')),
                ('recall', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='refund_requests', to='recalls.recallcase', verbose_name='recall')),
                ('rejected_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('reply', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='notices.reply')),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('second_approver', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('second_signature', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.signature')),
            ],
            options={
                'verbose_name': 'refund request',
                'verbose_name_plural': 'refund requests',
                'ordering': ['-requested_at', '-pk'],
                'permissions': [('approve_refundrequest', 'Can approve refund and compensation requests'), ('request_refund_from_reply', "Can enter a refund request from a holder's reply")],
            },
        ),
        migrations.CreateModel(
            name='RefundPayment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=32, unique=True, verbose_name='payment number')),
                ('paid_on', models.DateField(verbose_name='paid on')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='amount')),
                ('currency', models.CharField(max_length=3, verbose_name='currency')),
                ('method', models.CharField(choices=[('bank_transfer', 'Bank transfer'), ('credit_note', 'Credit note')], max_length=14, verbose_name='method')),
                ('credit_note_number', models.CharField(blank=True, max_length=64, verbose_name='credit note number')),
                ('reference', models.CharField(blank=True, max_length=100, verbose_name='payment reference')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('batch', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='finance.apexportbatch', verbose_name='AP export batch')),
                ('cost_entry', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='finance.costentry', verbose_name='cost entry')),
                ('paid_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('request', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='payment', to='finance.refundrequest', verbose_name='request')),
            ],
            options={
                'verbose_name': 'refund payment',
                'verbose_name_plural': 'refund payments',
                'ordering': ['-paid_on', '-number'],
                'permissions': [('export_refundpayment', 'Can export payments to accounts payable')],
            },
        ),
        migrations.AddConstraint(
            model_name='quoterequest',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='finance_rfq_quantity'),
        ),
        migrations.AddConstraint(
            model_name='quoterequest',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['open', 'awarded', 'cancelled'])), name='finance_rfq_status_known'),
        ),
        migrations.AddConstraint(
            model_name='quoterequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'awarded'), _negated=True), models.Q(('awarded_quote__isnull', False), models.Q(('award_reason', ''), _negated=True)), _connector='OR'), name='finance_rfq_award_has_quote_and_reason'),
        ),
        migrations.AddConstraint(
            model_name='quote',
            constraint=models.UniqueConstraint(fields=('request', 'vendor'), name='finance_quote_once_a_vendor'),
        ),
        migrations.AddConstraint(
            model_name='quote',
            constraint=models.CheckConstraint(condition=models.Q(('price__gt', 0)), name='finance_quote_price_positive'),
        ),
        migrations.AddConstraint(
            model_name='quote',
            constraint=models.CheckConstraint(condition=models.Q(('valid_until__gte', models.F('quoted_on'))), name='finance_quote_valid_after_quoted'),
        ),
        migrations.AddIndex(
            model_name='refundrequest',
            index=models.Index(fields=['recall', 'holder'], name='finance_refund_holder'),
        ),
        migrations.AddConstraint(
            model_name='refundrequest',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0), ('unit_price__gt', 0), ('amount__gt', 0)), name='finance_refund_positive'),
        ),
        migrations.AddConstraint(
            model_name='refundrequest',
            constraint=models.CheckConstraint(condition=models.Q(('amount__lte', django.db.models.expressions.CombinedExpression(models.F('quantity'), '*', models.F('unit_price')))), name='finance_refund_within_invoice'),
        ),
        migrations.AddConstraint(
            model_name='refundrequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('first_approver', models.F('requested_by')), _negated=True), models.Q(('second_approver', models.F('requested_by')), _negated=True), models.Q(('second_approver', models.F('first_approver')), _negated=True)), name='finance_refund_four_eyes'),
        ),
        migrations.AddConstraint(
            model_name='refundrequest',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['requested', 'awaiting_second', 'approved', 'rejected', 'paid'])), name='finance_refund_status_known'),
        ),
        migrations.AddConstraint(
            model_name='refundrequest',
            constraint=models.UniqueConstraint(condition=models.Q(('offer__isnull', False), models.Q(('status', 'rejected'), _negated=True)), fields=('offer',), name='finance_refund_once_per_offer'),
        ),
        migrations.AddConstraint(
            model_name='refundpayment',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='finance_payment_positive'),
        ),
        migrations.AddConstraint(
            model_name='refundpayment',
            constraint=models.CheckConstraint(condition=models.Q(('method__in', ['bank_transfer', 'credit_note'])), name='finance_payment_method_known'),
        ),
        migrations.AddConstraint(
            model_name='refundpayment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('method', 'credit_note'), _negated=True), models.Q(('credit_note_number', ''), _negated=True), _connector='OR'), name='finance_payment_credit_note_numbered'),
        ),
    ]
