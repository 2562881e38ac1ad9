"""History: every resource decision recorded before the engine ran its leadership approval gets
its approval under the built-in "resource-decision" template — finished (approved or rejected,
signed by whoever answered, when and with what comment) or pending with the leadership group's
tasks. The decision's own leadership duty stays the one duty in the ledger."""

from django.db import migrations

KEY = "resource-decision"
NAME = "跨部门资源调配审批"
# The template's version 1, as bundled when this migration was written.
TEXT = """\
# 跨部门资源调配决议的领导审批 — seed 01 第五条(一)2: 涉及跨部门资源调配的决议须经领导小组审批.
ledger = false

[[fields]]
name = "amount"
label = "金额（元）"
type = "amount"

[[fields]]
name = "resource"
label = "调配资源"
type = "text"

[[fields]]
name = "decision"
label = "决议内容"
type = "text"

[[steps]]
key = "leadership"
name = "领导小组审批"
approver = "leadership"
mode = "any"
limit = "leadership_approval_days"
"""
STEP = {"key": "leadership", "name": "领导小组审批", "mode": "any"}
RESOURCES = {"people": "人员", "money": "资金", "equipment": "设备"}
STATUS = {"awaiting_leadership": "pending", "effective": "approved", "rejected": "rejected"}


def forwards(apps, schema_editor):
    Decision = apps.get_model("records", "Decision")
    decisions = list(
        Decision.objects.filter(allocates_resources=True)
        .select_related("meeting__policy_version")
        .order_by("id")
    )
    if not decisions:
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    Template = apps.get_model("approvals", "ApprovalTemplate")
    Version = apps.get_model("approvals", "TemplateVersion")
    Approval = apps.get_model("approvals", "Approval")
    Task = apps.get_model("approvals", "Task")
    RoleAssignment = apps.get_model("org", "RoleAssignment")
    content_type, _ = ContentType.objects.get_or_create(app_label="records", model="decision")
    template = Template.objects.filter(key=KEY).first()
    if template is None:
        template = Template.objects.create(
            key=KEY, name=NAME, policy_id=decisions[0].meeting.policy_version.policy_id
        )
    version = Version.objects.filter(template=template).order_by("-number").first()
    if version is None:
        version = Version.objects.create(
            template=template, number=1, text=TEXT, created_at=decisions[0].created_at, reason="内置模板"
        )
    done = set(Approval.objects.filter(subject_type=content_type).values_list("subject_id", flat=True))
    leaders = list(
        RoleAssignment.objects.filter(role="leadership", person__is_active=True)
        .order_by("person_id")
        .values_list("person_id", flat=True)
        .distinct()
    )
    for decision in decisions:
        if decision.pk in done:
            continue
        applicant = decision.created_by_id or decision.leadership_by_id or (leaders[0] if leaders else None)
        status = STATUS.get(decision.status)
        if applicant is None or status is None:
            continue
        finished = status != "pending"
        approval = Approval.objects.create(
            version=version,
            policy_version_id=decision.meeting.policy_version_id,
            applicant_id=applicant,
            department_id=decision.department_id,
            title=(decision.text.splitlines() or [""])[0][:120],
            amount=decision.amount,
            values={
                "resource": RESOURCES.get(decision.resource_kind, decision.resource_kind),
                "decision": decision.text,
            },
            status=status,
            route=[STEP],
            step=1 if status == "approved" else 0,
            submitted_at=decision.created_at,
            finished_at=(decision.leadership_at or decision.created_at) if finished else None,
            subject_type=content_type,
            subject_id=decision.pk,
        )
        if finished:
            signer = decision.leadership_by_id or applicant
            Task.objects.create(
                approval=approval,
                round=1,
                step=0,
                step_name=STEP["name"],
                approver_id=signer,
                state=status,
                opened_at=decision.created_at,
                decided_at=decision.leadership_at or decision.created_at,
                decided_by_id=signer,
                comment=decision.leadership_comment,
            )
        else:
            Task.objects.bulk_create(
                Task(
                    approval=approval,
                    round=1,
                    step=0,
                    step_name=STEP["name"],
                    approver_id=person_id,
                    opened_at=decision.created_at,
                )
                for person_id in leaders
            )


def backwards(apps, schema_editor):
    Approval = apps.get_model("approvals", "Approval")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.filter(app_label="records", model="decision").first()
    if content_type is not None:
        approvals = Approval.objects.filter(subject_type=content_type)
        apps.get_model("approvals", "Task").objects.filter(approval__in=approvals).delete()
        approvals.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0003_approval_subject"),
        ("records", "0004_decision_unvoted_reason"),
        ("org", "0002_alter_organization_work_end_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
