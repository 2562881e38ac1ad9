"""The bundled regulations' new rules, as a new version of each installed copy.

Seed 01 (weekly-cross-department): the least time after the notice to send word of an absence
(本组织补充 to 第五条(三)3: an on-time Friday notice no longer voids "one day ahead"), whom a
head may send (第五条(三)3: the deputy or the liaison), decisions need no vote (第五条(二)2).
Seed 02 (cross-department-coordination): a decision needs a passed vote (四、(一)), a head may
send anyone of the department (本组织补充).

A new version, not an edit of the stored ones: meetings already scheduled keep the version they
were computed under; meetings scheduled from now on use the new one. Only the rules a policy's
newest version lacks are added; other policies are left alone.
"""

import copy

from django.db import migrations
from django.utils import timezone

WEEKLY = "weekly-cross-department"
COORDINATION = "cross-department-coordination"

NEW_RULES = {
    WEEKLY: {
        "absence_notice_after_notice": {
            "clause": "本组织补充（补充第五条(三)3）",
            "note": (
                "通知晚于“提前1天”的时点或临近该时点发出时，告知期限为“会前1个工作日”与“通知发出后4小时”"
                "两者中较晚者，但不晚于会议开始"
            ),
            "minutes": 240,
        },
        "delegate_scope": {
            "clause": "第五条(三)3",
            "note": "科室负责人无法参会的，委托科室副职或联络员代为参会；委托其他人员不予接受",
            "value": "deputy_or_liaison",
        },
        "decision_vote": {
            "clause": "第五条(二)2",
            "note": "主持人组织参会人员对议题形成统一决议；本制度未要求表决，未经表决的决议照常记录",
            "value": "not_required",
        },
    },
    COORDINATION: {
        "decision_vote": {
            "clause": "四、(一)",
            "note": "对决策结果需经多数参会者同意（如5人以上同意）：未经表决通过的决议不予记录",
            "value": "refuse",
        },
        "delegate_scope": {
            "clause": "本组织补充（补充二、(一)4：对关键缺席者提前沟通替代方案）",
            "note": "本规范未限定代为参会人员；科室负责人可委托副职、联络员或本科室其他人员代为参会",
            "value": "department",
        },
    },
}

REASON = "补充规则：请假告知的最短时限、代为参会人员范围、未经表决的决议（按制度条款）"


def add_rules(apps, schema_editor):
    Policy = apps.get_model("policy", "Policy")
    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    for policy in Policy.objects.filter(key__in=list(NEW_RULES)):
        latest = PolicyVersion.objects.filter(policy=policy).order_by("-number").first()
        if latest is None or not isinstance(latest.data, dict):
            continue
        data = copy.deepcopy(latest.data)
        rules = data.get("rules")
        if not isinstance(rules, dict):
            continue
        missing = {key: dict(table) for key, table in NEW_RULES[policy.key].items() if key not in rules}
        if not missing:
            continue
        rules.update(missing)
        PolicyVersion.objects.create(
            policy=policy, number=latest.number + 1, data=data, created_at=timezone.now(), reason=REASON
        )


class Migration(migrations.Migration):
    dependencies = [("policy", "0003_holiday_schedule")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
