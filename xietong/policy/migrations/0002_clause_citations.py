"""Corrected citations in the bundled regulations' stored versions, and a rule of its own for
action items' due dates.

Seed 01 (weekly-cross-department) cited clauses that do not exist: 第四条(一)2 is 第五条(一)2
(leadership approves resource decisions), 第四条(一)4 is 第五条(一)4 (leadership asks for
rectification), 第五条(二)5 is 第五条(二)1 (the coordinator tracks decisions and warns). A
rule the organisation added cites the clause it supplements. Only the citation text changes: no
number, so no deadline computed under these versions moves. Versions of other policies are left
as they are.
"""

from django.db import migrations

WEEKLY = "weekly-cross-department"
COORDINATION = "cross-department-coordination"

# Whole citation -> corrected citation, per policy key (only citations exactly as shipped).
CORRECTIONS = {
    WEEKLY: {
        "第五条(二)5（本组织补充：提前3个工作日黄色预警）": "第五条(二)1（本组织补充：提前3个工作日黄色预警）",
        "第五条(二)5（本组织补充：短时限提前2小时黄色预警）": "第五条(二)1（本组织补充：短时限提前2小时黄色预警）",
        "第四条(一)4；参照《跨部门业务协调会议的标准流程与措施》四、(三)": (
            "第五条(一)4；参照《跨部门业务协调会议的标准流程与措施》四、(三)"
        ),
        "第四条(一)2（时限为本组织补充）": "第五条(一)2（时限为本组织补充）",
        "本组织补充（参照《跨部门业务协调会议的标准流程与措施》三、(六)1）": (
            "本组织补充（补充第五条(二)2；参照《跨部门业务协调会议的标准流程与措施》三、(六)1）"
        ),
        "本组织补充（参照《跨部门业务协调会议的标准流程与措施》二、(一)3）": (
            "本组织补充（补充第五条(二)1；参照《跨部门业务协调会议的标准流程与措施》二、(一)3）"
        ),
        "本组织补充": "本组织补充（补充第五条(二)1）",
    },
    COORDINATION: {"本组织补充": "本组织补充（补充二、(三)2）"},
}

ACTION_DUE = {
    WEEKLY: {
        "clause": "第三条3；第五条(二)2",
        "note": "所有会议决议需明确责任科室、责任人及完成时限；主持人组织形成决议时明确完成时限，责任人按时完成",
    },
    COORDINATION: {
        "clause": "二、(二)4",
        "note": "主持人汇总讨论结果，明确行动项及负责人，每项注明截止日期；负责人按截止日期完成",
    },
}


def correct(apps, schema_editor):
    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    for version in PolicyVersion.objects.filter(policy__key__in=list(CORRECTIONS)).select_related("policy"):
        key = version.policy.key
        data = version.data
        rules = data.get("rules") if isinstance(data, dict) else None
        if not isinstance(rules, dict):
            continue
        changed = False
        for table in rules.values():
            if isinstance(table, dict) and table.get("clause") in CORRECTIONS[key]:
                table["clause"] = CORRECTIONS[key][table["clause"]]
                changed = True
        if "action_due" not in rules:
            rules["action_due"] = dict(ACTION_DUE[key])
            changed = True
        if changed:
            version.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]

    operations = [migrations.RunPython(correct, migrations.RunPython.noop)]
