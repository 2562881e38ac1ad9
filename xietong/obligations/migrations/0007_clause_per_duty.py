"""Every duty carries its own rule's clause, as its policy version now cites it.

Action items' due-date duties were filed under the warning rule (warning_lead_days) and its
clause; they move to their own rule, action_due. Then each duty's clause is read again from its
policy version (policy 0002 corrected citations that did not exist), one update per version and
rule.
"""

from django.db import migrations

MAX_CLAUSE = 60


def refile(apps, schema_editor):
    Obligation = apps.get_model("obligations", "Obligation")
    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    Obligation.objects.filter(kind="action_due").exclude(rule="action_due").update(rule="action_due")
    pairs = Obligation.objects.values_list("policy_version_id", "rule").distinct().order_by()
    versions = PolicyVersion.objects.in_bulk({version_id for version_id, _rule in pairs})
    for version_id, rule in pairs:
        data = versions[version_id].data
        table = (data.get("rules") or {}).get(rule) if isinstance(data, dict) else None
        if not isinstance(table, dict) or not isinstance(table.get("clause"), str):
            continue
        clause = table["clause"][:MAX_CLAUSE]
        Obligation.objects.filter(policy_version_id=version_id, rule=rule).exclude(clause=clause).update(
            clause=clause
        )


class Migration(migrations.Migration):
    dependencies = [
        ("obligations", "0006_board_open_by_department"),
        ("policy", "0002_clause_citations"),
    ]

    operations = [migrations.RunPython(refile, migrations.RunPython.noop)]
