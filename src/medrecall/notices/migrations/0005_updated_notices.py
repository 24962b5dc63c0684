from typing import Any

from django.db import migrations, models
from django.utils import timezone

KINDS = [('initial', 'Recall notice'), ('reminder', 'Reminder'), ('progress', 'Progress update'), ('survey', 'Satisfaction survey'), ('update', 'Updated recall notice')]

# The standard "update" templates as they were when this kind arrived (frozen here: a
# migration does not import project code); installations that already have their templates
# get these approved, version 1, where none exists for the regime and language.
UPDATE_TEMPLATES: list[dict[str, Any]] = [{'regime': 'nmpa',
  'language': 'zh-hans',
  'kind': 'update',
  'title': '紧急：医疗器械召回通知（更新）',
  'subject': '【召回通知更新】{{ recall_number }} {{ recall_title }}',
  'sections': [{'key': 'update',
                'heading': '召回范围已扩大',
                'body': '召回 {{ recall_number }} 的范围已经扩大：下列产品现在也在召回范围内，是我公司此前通知中未列出的。'},
               {'key': 'reason',
                'heading': '召回原因',
                'body': '召回原因：{{ reason }}\n\n缺陷说明：{{ defect }}\n\n可能的健康危害：{{ hazard }}'},
               {'key': 'actions',
                'heading': '需采取的措施',
                'body': '请贵单位立即停止销售和使用下列产品，将其隔离存放并清点数量；如已销售或调拨给其他单位，请立即转告对方。请于 {{ reply_by }} '
                        '前通过以下链接填写回执（回执中已列出新增产品）：{{ reply_url }}'},
               {'key': 'contact',
                'heading': '联系方式',
                'body': '如有疑问，请联系{{ company_name }}召回专线 {{ company_phone }}，或发送邮件至 {{ company_email }}。地址：{{ '
                        'company_address }}。'}]},
 {'regime': 'nmpa',
  'language': 'en',
  'kind': 'update',
  'title': 'URGENT: Updated medical device recall notice',
  'subject': '[Recall update] {{ recall_number }} {{ recall_title }}',
  'sections': [{'key': 'update',
                'heading': 'The recall now covers more devices',
                'body': 'The scope of recall {{ recall_number }} has been extended: the devices listed below '
                        'are now affected too; they were not in our earlier notice.'},
               {'key': 'reason',
                'heading': 'Reason for the recall',
                'body': 'Reason: {{ reason }}\n\nDefect: {{ defect }}\n\nPossible harm: {{ hazard }}'},
               {'key': 'actions',
                'heading': 'What you must do',
                'body': 'Stop selling and using the devices listed below at once, keep them apart and count '
                        'them. If you passed any of them on, forward this notice now. Reply by {{ reply_by '
                        '}} at: {{ reply_url }} (the form lists the added devices).'},
               {'key': 'contact',
                'heading': 'Contact',
                'body': 'Questions: call the {{ company_name }} recall line on {{ company_phone }} or e-mail '
                        '{{ company_email }}. Address: {{ company_address }}.'}]},
 {'regime': 'fda',
  'language': 'zh-hans',
  'kind': 'update',
  'title': '紧急：医疗器械召回通知（更新）',
  'subject': '【召回通知更新】{{ recall_number }} {{ recall_title }}',
  'sections': [{'key': 'update',
                'heading': '召回范围已扩大',
                'body': '召回 {{ recall_number }} 的范围已经扩大：下列产品现在也在召回范围内，是我公司此前通知中未列出的。'},
               {'key': 'reason',
                'heading': '召回原因',
                'body': '召回原因：{{ reason }}\n\n缺陷说明：{{ defect }}\n\n可能的健康危害：{{ hazard }}'},
               {'key': 'actions',
                'heading': '需采取的措施',
                'body': '请贵单位立即停止销售和使用下列产品，将其隔离存放并清点数量；如已销售或调拨给其他单位，请立即转告对方。请于 {{ reply_by }} '
                        '前通过以下链接填写回执（回执中已列出新增产品）：{{ reply_url }}'},
               {'key': 'contact',
                'heading': '联系方式',
                'body': '如有疑问，请联系{{ company_name }}召回专线 {{ company_phone }}，或发送邮件至 {{ company_email }}。地址：{{ '
                        'company_address }}。'}]},
 {'regime': 'fda',
  'language': 'en',
  'kind': 'update',
  'title': 'URGENT: Updated medical device recall notice',
  'subject': '[Recall update] {{ recall_number }} {{ recall_title }}',
  'sections': [{'key': 'update',
                'heading': 'The recall now covers more devices',
                'body': 'The scope of recall {{ recall_number }} has been extended: the devices listed below '
                        'are now affected too; they were not in our earlier notice.'},
               {'key': 'reason',
                'heading': 'Reason for the recall',
                'body': 'Reason: {{ reason }}\n\nDefect: {{ defect }}\n\nPossible harm: {{ hazard }}'},
               {'key': 'actions',
                'heading': 'What you must do',
                'body': 'Stop selling and using the devices listed below at once, keep them apart and count '
                        'them. If you passed any of them on, forward this notice now. Reply by {{ reply_by '
                        '}} at: {{ reply_url }} (the form lists the added devices).'},
               {'key': 'contact',
                'heading': 'Contact',
                'body': 'Questions: call the {{ company_name }} recall line on {{ company_phone }} or e-mail '
                        '{{ company_email }}. Address: {{ company_address }}.'}]},
 {'regime': 'eu_mdr',
  'language': 'zh-hans',
  'kind': 'update',
  'title': '紧急：医疗器械召回通知（更新）',
  'subject': '【召回通知更新】{{ recall_number }} {{ recall_title }}',
  'sections': [{'key': 'update',
                'heading': '召回范围已扩大',
                'body': '召回 {{ recall_number }} 的范围已经扩大：下列产品现在也在召回范围内，是我公司此前通知中未列出的。'},
               {'key': 'reason',
                'heading': '召回原因',
                'body': '召回原因：{{ reason }}\n\n缺陷说明：{{ defect }}\n\n可能的健康危害：{{ hazard }}'},
               {'key': 'actions',
                'heading': '需采取的措施',
                'body': '请贵单位立即停止销售和使用下列产品，将其隔离存放并清点数量；如已销售或调拨给其他单位，请立即转告对方。请于 {{ reply_by }} '
                        '前通过以下链接填写回执（回执中已列出新增产品）：{{ reply_url }}'},
               {'key': 'contact',
                'heading': '联系方式',
                'body': '如有疑问，请联系{{ company_name }}召回专线 {{ company_phone }}，或发送邮件至 {{ company_email }}。地址：{{ '
                        'company_address }}。'}]},
 {'regime': 'eu_mdr',
  'language': 'en',
  'kind': 'update',
  'title': 'URGENT: Updated medical device recall notice',
  'subject': '[Recall update] {{ recall_number }} {{ recall_title }}',
  'sections': [{'key': 'update',
                'heading': 'The recall now covers more devices',
                'body': 'The scope of recall {{ recall_number }} has been extended: the devices listed below '
                        'are now affected too; they were not in our earlier notice.'},
               {'key': 'reason',
                'heading': 'Reason for the recall',
                'body': 'Reason: {{ reason }}\n\nDefect: {{ defect }}\n\nPossible harm: {{ hazard }}'},
               {'key': 'actions',
                'heading': 'What you must do',
                'body': 'Stop selling and using the devices listed below at once, keep them apart and count '
                        'them. If you passed any of them on, forward this notice now. Reply by {{ reply_by '
                        '}} at: {{ reply_url }} (the form lists the added devices).'},
               {'key': 'contact',
                'heading': 'Contact',
                'body': 'Questions: call the {{ company_name }} recall line on {{ company_phone }} or e-mail '
                        '{{ company_email }}. Address: {{ company_address }}.'}]}]


def seed_update_templates(apps: Any, schema_editor: Any) -> None:
    template = apps.get_model("notices", "NoticeTemplate")
    db = schema_editor.connection.alias
    have = set(template.objects.using(db).filter(kind="update").values_list("regime", "language"))
    template.objects.using(db).bulk_create([
        template(version=1, status="approved", approved_at=timezone.now(), change_note="Standard template", **values)
        for values in UPDATE_TEMPLATES if (values["regime"], values["language"]) not in have])


def remove_update_templates(apps: Any, schema_editor: Any) -> None:
    template = apps.get_model("notices", "NoticeTemplate")
    notice = apps.get_model("notices", "Notice")
    db = schema_editor.connection.alias
    template.objects.using(db).filter(kind="update").exclude(
        pk__in=notice.objects.using(db).values("template_id")).delete()


class Migration(migrations.Migration):
    """Updated notices: a re-scope that adds affected units to a holder already notified."""

    dependencies = [
        ("notices", "0003_notice_content"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AlterField(model_name="notice", name="kind",
                              field=models.CharField(choices=KINDS, max_length=10, verbose_name="kind")),
        migrations.AlterField(model_name="noticerun", name="kind",
                              field=models.CharField(choices=KINDS, default="initial", max_length=10,
                                                     verbose_name="kind")),
        migrations.AlterField(model_name="noticetemplate", name="kind",
                              field=models.CharField(choices=KINDS, max_length=10, verbose_name="kind")),
        migrations.RunPython(seed_update_templates, remove_update_templates),
    ]
