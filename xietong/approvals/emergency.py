"""Emergency decisions (紧急决策, seed 03 四、(一)): the director convenes a temporary group for an
urgent matter, records the decision and whose views were heard, and may act at once; the
decision is then ratified after the fact through the normal route of an approval template the
director chooses.

Who the director is comes from the regulation of that template (the ``emergency_lead`` rule):
a regulation without the rule has no emergency procedure, and its templates cannot be used for
one. Ratification is the approval's own status; this module never copies it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.org.models import LeadershipRank, Person, Role, RoleAssignment
from xietong.org.permissions import roles_of
from xietong.policy.models import PolicyVersion
from xietong.policy.selectors import current_version

from . import services
from .models import Approval, ApprovalTemplate, EmergencyDecision

LEAD_RULE = "emergency_lead"
MAX_TEXT = 2000
MAX_GROUP = 50
AWAITING = (Approval.Status.PENDING, Approval.Status.RETURNED)
PAGE = 50


def _lead_rule(version: PolicyVersion) -> str | None:
    rule = version.rules.get(LEAD_RULE)
    return None if rule is None else rule.value


def is_director(person, version: PolicyVersion) -> bool:
    """Whether ``person`` may lead an emergency decision under ``version``'s ``emergency_lead``."""
    if person is None or not person.is_authenticated:
        return False
    lead = _lead_rule(version)
    if lead is None:
        return False
    if lead == "chair":
        return RoleAssignment.objects.filter(
            person=person, role=Role.LEADERSHIP, rank=LeadershipRank.CHAIR
        ).exists()
    roles = roles_of(person)
    if lead == "coordinator":
        return roles.is_coordinator
    return roles.has(Role.LEADERSHIP)


def director_templates(person) -> list[ApprovalTemplate]:
    """The templates in use under which ``person`` may lead an emergency decision."""
    templates = (
        ApprovalTemplate.objects.filter(is_active=True).select_related("policy").order_by("name", "id")
    )
    versions: dict[int, PolicyVersion] = {}
    out = []
    for template in templates:
        if template.policy_id not in versions:
            versions[template.policy_id] = current_version(template.policy)
        if is_director(person, versions[template.policy_id]):
            out.append(template)
    return out


def _clean(value: str | None, *, field: str, message: Any) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, code=f"{field}_required", field=field)
    if len(value) > MAX_TEXT:
        raise DomainError(_("At most 2000 characters."), code="too_long", field=field)
    return value


def _people(people: Iterable[Person] | None) -> list[Person]:
    seen: dict[int, Person] = {}
    for person in people or ():
        seen.setdefault(person.pk, person)
    return list(seen.values())


def emergency_decide(
    *,
    template: ApprovalTemplate,
    actor,
    now: datetime,
    matter: str,
    decision: str,
    reason: str,
    group: Iterable[Person],
    consulted: Iterable[Person] = (),
    consultation: str = "",
    executed: bool = False,
    amount: Any = None,
    values: dict[str, Any] | None = None,
) -> EmergencyDecision:
    """The director records an emergency decision and files its ratification on ``template``.

    Only the person the template's regulation names as director (``emergency_lead``) may do
    this (403 for anyone else; refused when the regulation names nobody). Refused (at the field)
    when the temporary group is empty or holds someone inactive, the reason or the decision is
    missing, or the ratification cannot be filed (the template's own refusals: amount, fields,
    blank thresholds …). ``executed`` records that the director acted at once (now).
    Side effects: the ratification approval runs its normal route from its first step.
    Records ``emergency_decision.recorded``; nothing is saved when anything is refused.
    """
    version = current_version(template.policy)
    if _lead_rule(version) is None:
        raise DomainError(
            _("The regulation of this template names no director for emergency decisions."),
            code="no_emergency_rule",
            field="template",
        )
    if not is_director(actor, version):
        raise Forbidden(_("Only the director named in the regulation may record an emergency decision."))
    matter = (matter or "").strip()
    if not matter:
        raise DomainError(_("Name the urgent matter."), code="matter_required", field="matter")
    if len(matter) > services.MAX_TITLE:
        raise DomainError(_("At most 120 characters."), code="too_long", field="matter")
    decision = _clean(decision, field="decision", message=_("Record what was decided."))
    reason = _clean(
        reason, field="reason", message=_("Say why the matter could not wait for the normal route.")
    )
    consultation = (consultation or "").strip()
    if len(consultation) > MAX_TEXT:
        raise DomainError(_("At most 2000 characters."), code="too_long", field="consultation")
    members = [p for p in _people(group) if p.pk != actor.pk]
    if not members:
        raise DomainError(
            _("Name at least one member of the temporary group besides yourself."),
            code="group_empty",
            field="group",
        )
    if len(members) > MAX_GROUP or any(not p.is_active for p in members):
        raise DomainError(
            _("The temporary group may hold at most 50 active people."), code="group_invalid", field="group"
        )
    heard = _people(consulted)
    if any(not p.is_active for p in heard):
        raise DomainError(
            _("Only active people can be consulted."), code="consulted_invalid", field="consulted"
        )
    with transaction.atomic():
        approval = services.approval_submit(
            template=template, actor=actor, now=now, title=matter, amount=amount, values=values
        )
        emergency = EmergencyDecision.objects.create(
            matter=matter,
            decision=decision,
            reason=reason,
            consultation=consultation,
            director=actor,
            policy_version=version,
            decided_at=now,
            executed_at=now if executed else None,
            approval=approval,
        )
        emergency.group.set(members)
        emergency.consulted.set(heard)
        record_event(
            name="emergency_decision.recorded",
            actor=actor,
            subject=emergency,
            now=now,
            group=[p.pk for p in members],
            consulted=[p.pk for p in heard],
            executed=executed,
            approval=approval.pk,
        )
    return emergency


def emergency_execute(*, emergency: EmergencyDecision, actor, now: datetime) -> EmergencyDecision:
    """The director records that the decision has now been carried out (when it was not at
    once). Refused when it already was; 403 for anyone but its director.
    Records ``emergency_decision.executed``."""
    if actor is None or actor.pk != emergency.director_id:
        raise Forbidden(_("Only the director who made the decision may record its execution."))
    with transaction.atomic():
        locked = EmergencyDecision.objects.select_for_update().get(pk=emergency.pk)
        if locked.executed_at is not None:
            raise DomainError(_("The decision was already carried out."), code="already_executed")
        locked.executed_at = now
        locked.save(update_fields=["executed_at"])
        record_event(name="emergency_decision.executed", actor=actor, subject=locked, now=now)
    return locked


# ---- reading --------------------------------------------------------------------------------


def emergencies_visible_to(person) -> QuerySet[EmergencyDecision]:
    """The one "who may see this emergency decision" rule: its director, the temporary group and
    those consulted, the leadership group, the coordinator, administrators."""
    if person is None or not person.is_authenticated:
        return EmergencyDecision.objects.none()
    roles = roles_of(person)
    if roles.is_coordinator or roles.has(Role.LEADERSHIP) or person.is_superuser:
        return EmergencyDecision.objects.all()
    return EmergencyDecision.objects.filter(
        Q(director=person) | Q(group=person) | Q(consulted=person)
    ).distinct()


def get_emergency_for_user(person, pk: int) -> EmergencyDecision:
    """The decision with its people and ratification preloaded; 404 to those who may not see it."""
    found = (
        emergencies_visible_to(person)
        .select_related("director", "approval__version__template", "policy_version")
        .prefetch_related("group", "consulted")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def awaiting_ratification(person, *, before: int | None = None) -> list[EmergencyDecision]:
    """Emergency decisions whose ratification is still running (in approval or returned), newest
    first; keyset pagination on id (``before``)."""
    qs = emergencies_visible_to(person).filter(approval__status__in=AWAITING)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return list(qs.select_related("director", "approval__version__template").order_by("-id")[:PAGE])
