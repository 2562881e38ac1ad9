"""Writing approvals: templates (versioned), and each step of an approval's route.

An approval runs its route one step at a time. When a step opens, its approvers are resolved
(the department's head, the chair … as of that moment) and each gets a Task and a duty in the
ledger (APPROVAL_STEP, due ``approval_step_days`` working days later). A 或签 step ends at its
first decision, a 会签 step when every approver has approved. Every action locks the approval
row first, so two approvers deciding at the same moment are taken one after the other: the
second finds the step already decided and is told so.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.core import transitions
from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.core.transitions import Step
from xietong.obligations.models import ObligationKind
from xietong.obligations.services import obligation_close, obligation_open, obligation_waive
from xietong.org.models import Delegation, Department, LeadershipRank, Person, Role, RoleAssignment
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import CalendarResult, as_shanghai
from xietong.policy.models import Policy, PolicyVersion
from xietong.policy.rules import AMOUNT_KEYS
from xietong.policy.selectors import business_calendar, current_version

from . import definition as d
from .definition import Definition, DefinitionError, StepDef, parse_definition
from .models import Approval, ApprovalTemplate, Task, TemplateVersion

AS = Approval.Status
TS = Task.State
APPLICANT = "applicant"
APPROVER = "approver"  # holds a pending task of the current step (or acts for its holder)

# action -> (the states it may start from, who takes it). Finished approvals (approved,
# rejected, withdrawn) start no step: they are immutable.
TRANSITIONS: dict[str, Step] = {
    "approve": transitions.step({AS.PENDING}, APPROVER),
    "return": transitions.step({AS.PENDING}, APPROVER),
    "reject": transitions.step({AS.PENDING}, APPROVER),
    "transfer": transitions.step({AS.PENDING}, APPROVER),  # guard: the template allows it
    "withdraw": transitions.step({AS.PENDING}, APPLICANT),  # guard: nobody has decided yet
    "resubmit": transitions.step({AS.RETURNED}, APPLICANT),
}
DECIDED = frozenset({TS.APPROVED, TS.RETURNED, TS.REJECTED})
# An approval filed for another record (approval_open_for) is only approved or rejected.
LINKED_REFUSED = frozenset({"return", "withdraw", "resubmit"})
STEP_RULE = "approval_step_days"
MAX_TITLE = 120
MAX_COMMENT = 500
MAX_TEXT = 2000
MAX_AMOUNT = Decimal("1000000000000")
_STATE_REFUSALS: dict[str, tuple[Any, str]] = {
    AS.RETURNED: (_("This approval was returned to the applicant and awaits changes."), "returned"),
    AS.APPROVED: (_("This approval is finished and can no longer change."), "finished"),
    AS.REJECTED: (_("This approval is finished and can no longer change."), "finished"),
    AS.WITHDRAWN: (_("This approval was withdrawn."), "withdrawn"),
}


# ---- templates ----------------------------------------------------------------------------


def _require_coordinator(actor) -> None:
    require(actor is not None and (roles_of(actor).is_coordinator or actor.is_superuser))


def _thresholds(definition: Definition, version: PolicyVersion) -> dict[str, int]:
    """The policy's amount for every threshold the route uses; refused when one is blank."""
    out: dict[str, int] = {}
    for key in definition.rules_used():
        blank = version.rules.blanks.get(key)
        if blank is not None:
            raise DomainError(
                _(
                    "The threshold “%(label)s” (%(clause)s) is still blank in the regulation: the "
                    "organisation must fill it in (a new version of the policy) before this template can be used."
                ),
                code="blank_threshold",
                field="text",
                params={"label": blank.label, "clause": blank.clause},
            )
        yuan = version.rules.amount(key) if key in AMOUNT_KEYS else None
        if yuan is None:
            raise DomainError(
                _(
                    "The condition uses “%(rule)s”, which is not an amount rule of the regulation “%(policy)s”."
                ),
                code="unknown_threshold",
                field="text",
                params={"rule": key, "policy": version.policy.name},
            )
        out[key] = yuan
    return out


def _check_names(definition: Definition) -> None:
    """Every department and person the route names exists."""
    for step in definition.steps:
        if step.department and not Department.objects.filter(name=step.department).exists():
            raise DomainError(
                _("Step “%(step)s” names the department “%(value)s”, which does not exist."),
                code="unknown_department",
                field="text",
                params={"step": step.name, "value": step.department},
            )
        for username in step.people:
            if not Person.objects.filter(username=username, is_active=True).exists():
                raise DomainError(
                    _("Step “%(step)s” names “%(value)s”, who is not an active user."),
                    code="unknown_person",
                    field="text",
                    params={"step": step.name, "value": username},
                )


def _parse(text: str, policy: Policy) -> Definition:
    try:
        definition = parse_definition(text or "")
    except DefinitionError as exc:
        raise DomainError(
            "%(problems)s",
            code="invalid_definition",
            field="text",
            params={"problems": " ".join(exc.problems)},
        ) from exc
    _check_names(definition)
    _thresholds(definition, current_version(policy))
    return definition


def template_create(
    *, actor, now: datetime, key: str, name: str, policy: Policy, text: str, reason: str = ""
) -> ApprovalTemplate:
    """The coordinator defines a new approval template, as its version 1.

    Refused (field ``text``) when the definition has problems: an empty route, a step that comes
    back (a loop), a condition on a field the form lacks, a threshold that is blank in the
    regulation, a department or person that does not exist. Records ``approval_template.created``.
    """
    _require_coordinator(actor)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the template a name."), code="name_required", field="name")
    key = (key or "").strip()
    if not key or ApprovalTemplate.objects.filter(key=key).exists():
        raise DomainError(_("Choose a key no other template uses."), code="key_taken", field="key")
    _parse(text, policy)
    with transaction.atomic():
        template = ApprovalTemplate.objects.create(key=key, name=name[:100], policy=policy)
        TemplateVersion.objects.create(
            template=template,
            number=1,
            text=text,
            created_at=now,
            created_by=actor,
            reason=(reason or str(_("New template")))[:300],
        )
        record_event(name="approval_template.created", actor=actor, subject=template, now=now)
    return template


def template_version_create(
    *, template: ApprovalTemplate, actor, now: datetime, text: str, reason: str
) -> TemplateVersion:
    """A new version of ``template`` (approvals already filed keep theirs). Refused as for
    template_create, and when nothing changed or no reason is given.
    Records ``approval_template.version_created``."""
    _require_coordinator(actor)
    if not (reason or "").strip():
        raise DomainError(_("Say why the template changes."), code="reason_required", field="reason")
    _parse(text, template.policy)
    with transaction.atomic():
        locked = transitions.locked(ApprovalTemplate, template.pk)
        last = locked.versions.order_by("-number").first()
        if last is not None and last.text == text:
            raise DomainError(
                _("Nothing changed: this is the current version."), code="unchanged", field="text"
            )
        version = TemplateVersion.objects.create(
            template=locked,
            number=(last.number + 1) if last else 1,
            text=text,
            created_at=now,
            created_by=actor,
            reason=reason.strip()[:300],
        )
        record_event(
            name="approval_template.version_created",
            actor=actor,
            subject=locked,
            now=now,
            number=version.number,
        )
    return version


def current_template_version(template: ApprovalTemplate) -> TemplateVersion:
    version = template.versions.order_by("-number").first()
    if version is None:
        raise LookupError(f"template {template.key} has no version")
    return version


# ---- the route ------------------------------------------------------------------------------


def _route(definition: Definition, amount: Decimal | None, version: PolicyVersion) -> list[dict[str, Any]]:
    thresholds = _thresholds(definition, version)
    values = {d.AMOUNT_FIELD: amount}
    return [
        {"key": s.key, "name": s.name, "mode": s.mode}
        for s in definition.steps
        if d.step_applies(s, values, thresholds)
    ]


def _chair() -> Person | None:
    rows = RoleAssignment.objects.filter(role=Role.LEADERSHIP, person__is_active=True).select_related(
        "person"
    )
    ranked = sorted(rows, key=lambda r: (r.rank != LeadershipRank.CHAIR, r.person_id))
    return ranked[0].person if ranked else None


def _heads(department_id: int) -> list[Person]:
    return list(
        Person.objects.filter(
            is_active=True, roles__role=Role.HEAD, roles__department_id=department_id
        ).order_by("id")
    )


def _resolve(step: StepDef, approval: Approval) -> list[Person]:
    """The approvers of ``step`` for ``approval``, as of now."""
    if step.approver == d.APPLICANT_HEAD:
        return _heads(approval.department_id)
    if step.approver == d.DEPARTMENT_HEAD:
        department = Department.objects.filter(name=step.department).first()
        return _heads(department.pk) if department else []
    if step.approver == d.CHAIR:
        chair = _chair()
        return [chair] if chair else []
    if step.approver == d.LEADERSHIP:
        return list(
            Person.objects.filter(is_active=True, roles__role=Role.LEADERSHIP).distinct().order_by("id")
        )
    if step.approver == d.COMMITTEE:
        return list(
            Person.objects.filter(is_active=True, roles__role=Role.COMMITTEE).distinct().order_by("id")
        )
    people = Person.objects.filter(is_active=True, username__in=step.people)
    by_name = {p.username: p for p in people}
    return [by_name[u] for u in step.people if u in by_name]


def _step_def(approval: Approval, definition: Definition) -> StepDef:
    key = approval.route[approval.step]["key"]
    return next(s for s in definition.steps if s.key == key)


def _step_rule(approval: Approval) -> str:
    return _step_def(approval, approval.version.definition).limit or STEP_RULE


def _step_due(approval: Approval, now: datetime) -> CalendarResult | None:
    days = approval.policy_version.rules.count(_step_rule(approval))
    return None if days is None else business_calendar().add_working_days(now, days)


def _open_task(approval: Approval, approver: Person, *, now: datetime) -> Task:
    task = Task.objects.create(
        approval=approval,
        round=approval.round,
        step=approval.step,
        step_name=approval.route[approval.step]["name"],
        approver=approver,
        opened_at=now,
    )
    due = _step_due(approval, now) if approval.version.definition.ledger else None
    if due is not None:
        obligation_open(
            kind=ObligationKind.APPROVAL_STEP,
            rule=_step_rule(approval),
            subject=task,
            due=due,
            policy_version=approval.policy_version,
            now=now,
            responsible=approver,
            department=approver.department,
        )
    return task


def _open_step(approval: Approval, definition: Definition, *, now: datetime) -> list[Task]:
    step = _step_def(approval, definition)
    approvers = _resolve(step, approval)
    if not approvers:
        raise DomainError(
            _("Nobody can approve the step “%(step)s” at the moment; ask the coordinator to fill the role."),
            code="no_approver",
            params={"step": step.name},
        )
    return [_open_task(approval, person, now=now) for person in approvers]


def _close_others(approval: Approval, *, now: datetime, note: str = "step decided") -> None:
    """The approval's pending tasks are no longer needed (the step was decided, or withdrawn)."""
    for task in approval.tasks.filter(state=TS.PENDING):
        task.state = TS.CLOSED
        task.save(update_fields=["state"])
        obligation_waive(kind=ObligationKind.APPROVAL_STEP, subject=task, now=now, note=note)


# ---- filing ---------------------------------------------------------------------------------


def _clean_amount(amount: Any, *, required: bool) -> Decimal | None:
    if amount is None or amount == "":
        if required:
            raise DomainError(_("Enter the amount in yuan."), code="amount_required", field="amount")
        return None
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite():
        raise DomainError(_("The amount must be a number of yuan."), code="amount_invalid", field="amount")
    if value < 0:
        raise DomainError(_("The amount must not be negative."), code="amount_negative", field="amount")
    if value >= MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
        raise DomainError(
            _("The amount must be in yuan with at most two decimals, below one trillion."),
            code="amount_invalid",
            field="amount",
        )
    return value


def _clean_values(definition: Definition, values: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in definition.fields:
        if f.type != "text":
            continue
        value = str(values.get(f.name) or "").strip()
        if f.required and not value:
            raise DomainError(_("This field is required."), code="required", field=f.name)
        if len(value) > MAX_TEXT:
            raise DomainError(_("At most 2000 characters."), code="too_long", field=f.name)
        out[f.name] = value
    return out


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the approval a title."), code="title_required", field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(_("At most 120 characters."), code="too_long", field="title")
    return title


def _amount_required(definition: Definition) -> bool:
    return any(f.name == d.AMOUNT_FIELD and f.required for f in definition.fields)


def approval_submit(
    *,
    template: ApprovalTemplate,
    actor,
    now: datetime,
    title: str,
    amount: Any = None,
    values: dict[str, Any] | None = None,
) -> Approval:
    """``actor`` files an approval under the template's current version, for their department.

    Refused when the template is not in use, a threshold its route uses is blank in the
    regulation, the amount is missing, negative or not a number, or a step's approvers cannot
    be found. Side effects: the route resolved for the amount, the first step's tasks and
    duties opened. Records ``approval.submitted``.
    """
    require(actor is not None and actor.is_authenticated and actor.department_id is not None)
    if not template.is_active:
        raise DomainError(_("This template is no longer in use."), code="inactive")
    version = current_template_version(template)
    definition = version.definition
    title = _clean_title(title)
    cleaned_amount = _clean_amount(amount, required=_amount_required(definition))
    cleaned = _clean_values(definition, values or {})
    policy_version = current_version(template.policy)
    route = _route(definition, cleaned_amount, policy_version)
    if not route:
        raise DomainError(_("No step of the route applies to this approval."), code="empty_route")
    with transaction.atomic():
        approval = Approval.objects.create(
            version=version,
            policy_version=policy_version,
            applicant=actor,
            department_id=actor.department_id,
            title=title,
            amount=cleaned_amount,
            values=cleaned,
            route=route,
            submitted_at=now,
        )
        tasks = _open_step(approval, definition, now=now)
        record_event(
            name="approval.submitted",
            actor=actor,
            subject=approval,
            now=now,
            step=route[0]["name"],
            approvers=[t.approver_id for t in tasks],
            opened_tasks=[t.pk for t in tasks],
            amount=str(cleaned_amount) if cleaned_amount is not None else None,
        )
    return approval


def builtin_template(*, key: str, name: str, policy: Policy, text: str, now: datetime) -> ApprovalTemplate:
    """The product's own template ``key`` (version 1 written from ``text`` on first use).

    Used by the parts of the product that send their records through the engine (a resource
    decision's leadership approval); the coordinator may add versions like any template's."""
    template = ApprovalTemplate.objects.filter(key=key).first()
    if template is not None:
        return template
    parse_definition(text)  # bundled text: a problem here is a bug, not bad input
    template = ApprovalTemplate.objects.create(key=key, name=name, policy=policy)
    TemplateVersion.objects.create(
        template=template, number=1, text=text, created_at=now, reason=str(_("Built into the product"))
    )
    return template


def approval_open_for(
    *,
    subject,
    template: ApprovalTemplate,
    policy_version: PolicyVersion,
    applicant: Person,
    department: Department,
    title: str,
    amount: Decimal | None,
    values: dict[str, str],
    actor,
    now: datetime,
    notify: bool = True,
) -> Approval:
    """Another part of the product sends ``subject`` through the engine (in its transaction).

    The route is resolved under ``policy_version`` (the version in force when the subject was
    recorded); the first step's tasks open, and their approvers are told unless ``notify`` is
    False (the part that asked sends its own notice). Such an approval is only approved or rejected, and its outcome is applied to
    ``subject`` by that part's reaction to ``approval.approved`` / ``approval.rejected``.
    Records ``approval.submitted``.
    """
    version = current_template_version(template)
    definition = version.definition
    route = _route(definition, amount, policy_version)
    approval = Approval.objects.create(
        version=version,
        policy_version=policy_version,
        applicant=applicant,
        department=department,
        title=title[:MAX_TITLE],
        amount=amount,
        values=values,
        route=route,
        submitted_at=now,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
    )
    tasks = _open_step(approval, definition, now=now)
    record_event(
        name="approval.submitted",
        actor=actor,
        subject=approval,
        now=now,
        step=route[0]["name"],
        approvers=[t.approver_id for t in tasks],
        opened_tasks=[t.pk for t in tasks] if notify else [],
        amount=str(amount) if amount is not None else None,
        linked=True,
    )
    return approval


def approval_for(subject) -> Approval | None:
    """The approval filed for ``subject``, if any."""
    return Approval.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
    ).first()


def approval_settle(
    *, approval: Approval, approve: bool, actor, now: datetime, comment: str
) -> Approval | None:
    """The subject's own page answered it (a resource decision approved on the meeting
    record): the approval, still pending, is finished the same way, signed by ``actor`` on the
    task they hold or act for (the current step's first task otherwise). A no-op for a finished
    approval. Records ``approval.approved`` (finished) or ``approval.rejected``."""
    locked = Approval.objects.select_for_update(of=("self",)).get(pk=approval.pk)
    if locked.status != AS.PENDING:
        return None
    pending = list(locked.tasks.filter(round=locked.round, step=locked.step, state=TS.PENDING))
    mine = _acts_for(actor, [t.approver_id for t in pending], now=now) if actor is not None else set()
    task = next((t for t in pending if t.approver_id in mine), pending[0] if pending else None)
    step = locked.route[locked.step]
    if task is not None:
        _sign(task, TS.APPROVED if approve else TS.REJECTED, actor=actor, now=now, comment=comment)
    _close_others(locked, now=now)
    if approve:
        locked.step = len(locked.route)
        locked.save(update_fields=["step"])
    _finish(locked, AS.APPROVED if approve else AS.REJECTED, now=now)
    on_behalf = (
        task.approver_id if task is not None and actor is not None and task.approver_id != actor.pk else None
    )
    data: dict[str, Any] = {"step": step["name"], "on_behalf_of": on_behalf}
    if approve:
        data.update(comment=comment, next_step="", opened_tasks=[], finished=True)
    else:
        data.update(reason=comment)
    record_event(
        name="approval.approved" if approve else "approval.rejected",
        actor=actor,
        subject=locked,
        now=now,
        **data,
    )
    return locked


# ---- deciding -------------------------------------------------------------------------------


def _acts_for(actor, principal_ids: list[int], *, now: datetime) -> set[int]:
    """Of ``principal_ids``, those ``actor`` is or acts for (an org delegation covering today)."""
    on = as_shanghai(now).date()
    delegated = Delegation.objects.filter(
        delegate=actor, principal_id__in=principal_ids, starts_on__lte=on, ends_on__gte=on
    ).values_list("principal_id", flat=True)
    return ({actor.pk} & set(principal_ids)) | set(delegated)


def _my_task(approval: Approval, actor, *, now: datetime) -> Task:
    """The pending task of the current step that ``actor`` holds or acts for.

    Refused (DomainError) when the actor already decided this step, or another approver decided
    it first; 403 when the actor is not on the step at all."""
    if actor is None or not actor.is_authenticated:
        raise Forbidden(_("Only the approvers of the current step may decide it."))
    step_tasks = list(approval.tasks.filter(round=approval.round, step=approval.step))
    pending = [t for t in step_tasks if t.state == TS.PENDING]
    mine = _acts_for(actor, [t.approver_id for t in pending], now=now)
    for task in pending:
        if task.approver_id == actor.pk or task.approver_id in mine:
            return task
    if any(t.decided_by_id == actor.pk or t.approver_id == actor.pk for t in step_tasks):
        raise DomainError(
            _("You have already decided this step; it awaits the other approvers."), code="already_decided"
        )
    earlier = approval.tasks.filter(round=approval.round, step__lt=approval.step).filter(
        Q(approver=actor) | Q(decided_by=actor)
    )
    if earlier.exists():
        raise DomainError(
            _("This step was already decided by another approver; your decision was not recorded."),
            code="decided_by_other",
        )
    raise Forbidden(_("Only the approvers of the current step may decide it."))


def _lock(approval: Approval, action: str) -> Approval:
    return transitions.locked(
        Approval.objects.select_related("version", "policy_version"),
        approval.pk,
        TRANSITIONS,
        action,
        _("This approval is not awaiting a decision."),
        refusals=_STATE_REFUSALS,
    )


def _sign(task: Task, state: str, *, actor, now: datetime, comment: str) -> None:
    task.state = state
    task.decided_at = now
    task.decided_by = actor
    task.comment = comment
    task.save(update_fields=["state", "decided_at", "decided_by", "comment"])
    obligation_close(kind=ObligationKind.APPROVAL_STEP, subject=task, now=now, actor=actor)


def _text(value: str | None, *, field: str, required: bool, message: Any = None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(message or _("This field is required."), code="required", field=field)
    if len(value) > MAX_COMMENT:
        raise DomainError(_("At most 500 characters."), code="too_long", field=field)
    return value


def _finish(approval: Approval, status: str, *, now: datetime) -> None:
    approval.status = status
    approval.finished_at = now
    approval.save(update_fields=["status", "finished_at"])


def approval_approve(*, approval: Approval, actor, now: datetime, comment: str = "") -> Approval:
    """An approver of the current step (or their delegate) approves, with an optional comment.

    A 或签 step ends here (the others' tasks close); a 会签 step when every approver has
    approved. Then the next step opens, or, after the last, the approval is APPROVED (final).
    Records ``approval.approved`` (``finished`` when it was the last step).
    """
    comment = _text(comment, field="comment", required=False)
    with transaction.atomic():
        locked = _lock(approval, "approve")
        task = _my_task(locked, actor, now=now)
        _sign(task, TS.APPROVED, actor=actor, now=now, comment=comment)
        step = locked.route[locked.step]
        step_done = (
            step["mode"] == d.ANY
            or not locked.tasks.filter(round=locked.round, step=locked.step, state=TS.PENDING).exists()
        )
        next_step = ""
        opened: list[Task] = []
        if step_done:
            _close_others(locked, now=now)
            if locked.step + 1 >= len(locked.route):
                locked.step += 1
                locked.save(update_fields=["step"])
                _finish(locked, AS.APPROVED, now=now)
            else:
                locked.step += 1
                locked.save(update_fields=["step"])
                opened = _open_step(locked, locked.version.definition, now=now)
                next_step = locked.route[locked.step]["name"]
        record_event(
            name="approval.approved",
            actor=actor,
            subject=locked,
            now=now,
            step=step["name"],
            comment=comment,
            on_behalf_of=task.approver_id if task.approver_id != actor.pk else None,
            next_step=next_step,
            opened_tasks=[t.pk for t in opened],
            finished=locked.status == AS.APPROVED,
        )
    return locked


def approval_return(*, approval: Approval, actor, now: datetime, comment: str) -> Approval:
    """An approver returns the approval to the applicant for changes (what to change required).

    The step's other tasks close; RETURNED until the applicant resubmits, when the route
    restarts at the step the template names. Records ``approval.returned``.
    """
    comment = _text(
        comment, field="comment", required=True, message=_("Say what the applicant should change.")
    )
    with transaction.atomic():
        locked = _lock(approval, "return")
        _refuse_linked(locked)
        task = _my_task(locked, actor, now=now)
        _sign(task, TS.RETURNED, actor=actor, now=now, comment=comment)
        _close_others(locked, now=now)
        locked.status = AS.RETURNED
        locked.save(update_fields=["status"])
        record_event(
            name="approval.returned",
            actor=actor,
            subject=locked,
            now=now,
            step=locked.route[locked.step]["name"],
            comment=comment,
            on_behalf_of=task.approver_id if task.approver_id != actor.pk else None,
        )
    return locked


def approval_reject(*, approval: Approval, actor, now: datetime, reason: str) -> Approval:
    """An approver rejects the approval (a reason is required); final. Records ``approval.rejected``."""
    reason = _text(reason, field="comment", required=True, message=_("Give the reason for rejecting."))
    with transaction.atomic():
        locked = _lock(approval, "reject")
        task = _my_task(locked, actor, now=now)
        _sign(task, TS.REJECTED, actor=actor, now=now, comment=reason)
        _close_others(locked, now=now)
        _finish(locked, AS.REJECTED, now=now)
        record_event(
            name="approval.rejected",
            actor=actor,
            subject=locked,
            now=now,
            step=locked.route[locked.step]["name"],
            reason=reason,
            on_behalf_of=task.approver_id if task.approver_id != actor.pk else None,
        )
    return locked


def approval_transfer(
    *, approval: Approval, actor, now: datetime, to: Person | None, comment: str = ""
) -> Approval:
    """An approver hands their part of the current step to ``to`` (only where the template
    allows transfers). The new approver gets a task and a duty; the old task is recorded as
    transferred. Records ``approval.transferred``."""
    comment = _text(comment, field="comment", required=False)
    with transaction.atomic():
        locked = _lock(approval, "transfer")
        if not locked.version.definition.transfer:
            raise DomainError(_("This template does not allow transfers."), code="no_transfer")
        task = _my_task(locked, actor, now=now)
        if to is None or not to.is_active or to.pk in (actor.pk, task.approver_id, locked.applicant_id):
            raise DomainError(
                _("Choose another active person to hand the step to."), code="bad_target", field="to"
            )
        if locked.tasks.filter(round=locked.round, step=locked.step, approver=to, state=TS.PENDING).exists():
            raise DomainError(
                _("This person is already an approver of the step."), code="bad_target", field="to"
            )
        _sign(task, TS.TRANSFERRED, actor=actor, now=now, comment=comment)
        new_task = _open_task(locked, to, now=now)
        record_event(
            name="approval.transferred",
            actor=actor,
            subject=locked,
            now=now,
            step=locked.route[locked.step]["name"],
            to=to.pk,
            comment=comment,
            opened_tasks=[new_task.pk],
        )
    return locked


def _refuse_linked(approval: Approval) -> None:
    if approval.is_linked:
        raise DomainError(
            _("This approval belongs to the record it was filed for: it can only be approved or rejected."),
            code="linked",
        )


def _require_applicant(approval: Approval, actor) -> None:
    require(actor is not None and actor.pk == approval.applicant_id, _("Only the applicant may do this."))


def approval_withdraw(*, approval: Approval, actor, now: datetime) -> Approval:
    """The applicant withdraws the approval before anyone has decided on it; final.
    Records ``approval.withdrawn``."""
    _require_applicant(approval, actor)
    with transaction.atomic():
        locked = _lock(approval, "withdraw")
        _refuse_linked(locked)
        if locked.tasks.filter(state__in=DECIDED).exists():
            raise DomainError(
                _("An approver has already decided; the approval can no longer be withdrawn."),
                code="already_decided",
            )
        _close_others(locked, now=now, note="withdrawn")
        _finish(locked, AS.WITHDRAWN, now=now)
        record_event(name="approval.withdrawn", actor=actor, subject=locked, now=now)
    return locked


def approval_resubmit(
    *,
    approval: Approval,
    actor,
    now: datetime,
    title: str,
    amount: Any = None,
    values: dict[str, Any] | None = None,
) -> Approval:
    """The applicant resubmits a returned approval with changes. The route is resolved again for
    the new amount and restarts at the step the template names (``return_to``; the first when
    it names none or the new route lacks it). Records ``approval.resubmitted``."""
    _require_applicant(approval, actor)
    with transaction.atomic():
        locked = _lock(approval, "resubmit")
        _refuse_linked(locked)
        definition = locked.version.definition
        locked.title = _clean_title(title)
        locked.amount = _clean_amount(amount, required=_amount_required(definition))
        locked.values = _clean_values(definition, values or {})
        # The thresholds in force now: the regulation may have changed since the first filing.
        locked.policy_version = current_version(locked.version.template.policy)
        locked.route = _route(definition, locked.amount, locked.policy_version)
        keys = [s["key"] for s in locked.route]
        locked.step = keys.index(definition.return_to) if definition.return_to in keys else 0
        locked.round += 1
        locked.status = AS.PENDING
        locked.save()
        opened = _open_step(locked, definition, now=now)
        record_event(
            name="approval.resubmitted",
            actor=actor,
            subject=locked,
            now=now,
            step=locked.route[locked.step]["name"],
            amount=str(locked.amount) if locked.amount is not None else None,
            opened_tasks=[t.pk for t in opened],
        )
    return locked


# ---- what the viewer may do -----------------------------------------------------------------


def approval_actions(approval: Approval, viewer, *, now: datetime) -> list[str]:
    """The actions the page offers ``viewer``, read from TRANSITIONS and its guards."""
    if viewer is None or not viewer.is_authenticated:
        return []
    pending = [
        t.approver_id
        for t in approval.tasks.all()
        if t.round == approval.round and t.step == approval.step and t.state == TS.PENDING
    ]
    is_approver = bool(pending) and bool(_acts_for(viewer, pending, now=now))
    decided = any(t.state in DECIDED for t in approval.tasks.all())

    def holds(role: str) -> bool:
        return is_approver if role == APPROVER else viewer.pk == approval.applicant_id

    actions = transitions.allowed_actions(TRANSITIONS, approval.status, holds)
    if decided and "withdraw" in actions:
        actions.remove("withdraw")
    if "transfer" in actions and not approval.version.definition.transfer:
        actions.remove("transfer")
    if approval.is_linked:
        actions = [a for a in actions if a not in LINKED_REFUSED]
    return actions
