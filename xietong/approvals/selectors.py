"""Reading approvals: who may see one, the applicant's list, the approver's list."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from xietong.core.events import events_for
from xietong.org.models import Delegation, Role
from xietong.org.permissions import roles_of

from .models import Approval, ApprovalTemplate, Task

PAGE = 50


def approvals_visible_to(person, *, on=None) -> QuerySet[Approval]:
    """The one "who may see this approval" rule: the applicant, whoever holds (or held) a task on
    it or acts for someone who does, the coordinator and the leadership group see it."""
    if person is None or not person.is_authenticated:
        return Approval.objects.none()
    roles = roles_of(person, on=on)
    if roles.is_coordinator or roles.has(Role.LEADERSHIP) or person.is_superuser:
        return Approval.objects.all()
    principals = Delegation.objects.filter(delegate=person).values("principal_id")
    on_route = Task.objects.filter(approval=OuterRef("pk")).filter(
        Q(approver=person) | Q(decided_by=person) | Q(approver_id__in=principals)
    )
    return Approval.objects.filter(Q(applicant=person) | Exists(on_route))


def get_approval_for_user(person, pk: int) -> Approval:
    """The approval with its route's tasks and people preloaded; 404 to those who may not see it."""
    qs = (
        approvals_visible_to(person)
        .select_related("applicant", "department", "version__template", "policy_version")
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=Task.objects.select_related("approver", "decided_by").order_by(
                    "round", "step", "id"
                ),
            )
        )
    )
    approval = qs.filter(pk=pk).first()
    if approval is None:
        raise Http404
    return approval


def approval_timeline(approval: Approval):
    return events_for(approval).order_by("at", "id")


def _with_holders(qs: QuerySet[Approval]) -> QuerySet[Approval]:
    pending = (
        Task.objects.filter(state=Task.State.PENDING)
        .select_related("approver")
        .only("id", "approval_id", "round", "step", "approver__full_name", "approver__username")
    )
    return qs.select_related("version__template").prefetch_related(
        Prefetch("tasks", queryset=pending, to_attr="pending_tasks")
    )


def my_approvals(person, *, before: int | None = None) -> list[Approval]:
    """我发起的: the person's approvals, newest first, with the current step's holders; keyset
    pagination on id (``before``)."""
    qs = Approval.objects.filter(applicant=person)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return list(_with_holders(qs).order_by("-id")[:PAGE])


def approvals_to_handle(person, *, on=None, limit: int = PAGE) -> list[Task]:
    """The pending tasks the person holds or acts for (delegations covering ``on``), oldest first."""
    principals = Delegation.objects.filter(delegate=person)
    if on is not None:
        principals = principals.filter(starts_on__lte=on, ends_on__gte=on)
    return list(
        Task.objects.filter(state=Task.State.PENDING)
        .filter(Q(approver=person) | Q(approver_id__in=principals.values("principal_id")))
        .select_related("approval__applicant", "approval__department", "approver")
        .order_by("opened_at", "id")[:limit]
    )


def returned_to(person, *, limit: int = PAGE) -> list[Approval]:
    """The person's approvals returned for changes."""
    return list(
        Approval.objects.filter(applicant=person, status=Approval.Status.RETURNED)
        .select_related("version__template")
        .order_by("-id")[:limit]
    )


def templates_in_use() -> QuerySet[ApprovalTemplate]:
    return ApprovalTemplate.objects.filter(is_active=True).select_related("policy").order_by("name", "id")


def all_templates() -> QuerySet[ApprovalTemplate]:
    return ApprovalTemplate.objects.select_related("policy").order_by("name", "id")


def get_template(pk: int) -> ApprovalTemplate:
    template = ApprovalTemplate.objects.select_related("policy").filter(pk=pk).first()
    if template is None:
        raise Http404
    return template


def approval_links(duties) -> None:
    """Each duty whose subject was sent through the engine (a resource decision's leadership
    duty) gets ``link``: the approval's page, where it is decided. One query (none without duties)."""
    keys = {(o.subject_type_id, o.subject_id) for o in duties}
    if not keys:
        return
    q = Q()
    for type_id, subject_id in keys:
        q |= Q(subject_type_id=type_id, subject_id=subject_id)
    found = {
        (type_id, subject_id): pk
        for pk, type_id, subject_id in Approval.objects.filter(q).values_list(
            "pk", "subject_type_id", "subject_id"
        )
    }
    for o in duties:
        pk = found.get((o.subject_type_id, o.subject_id))
        if pk is not None:
            o.link = reverse("approvals:detail", args=[pk])
