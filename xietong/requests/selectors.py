"""Reading requests: who may see one, the outgoing and incoming lists, and what awaits an answer."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.http import Http404

from xietong.core.events import events_for
from xietong.obligations.colours import with_colour
from xietong.obligations.selectors import obligations_for
from xietong.org.models import Role
from xietong.org.permissions import roles_of

from .models import CollaborationRequest
from .services import RECEIVER_ROLES

PAGE = 50
LIST_FIELDS = (
    "title",
    "status",
    "submitted_at",
    "expected_by",
    "committed_by",
    "type__name",
    "requester__full_name",
    "requester__username",
    "from_department__name",
    "to_department__name",
)


def answering_departments(person, *, on: date | None = None) -> frozenset[int]:
    """The departments ``person`` answers requests for (liaison, head or deputy, delegations included)."""
    roles = roles_of(person, on=on)
    return frozenset().union(*(roles.departments(role) for role in RECEIVER_ROLES))


def requests_visible_to(person, *, on: date | None = None) -> QuerySet[CollaborationRequest]:
    """The one "who may see this request" rule: the requester, the people of the requesting and
    receiving departments (members, and whoever answers for them), the coordinator and the
    leadership group."""
    if person is None or not person.is_authenticated:
        return CollaborationRequest.objects.none()
    roles = roles_of(person, on=on)
    if roles.is_coordinator or roles.has(Role.LEADERSHIP) or person.is_superuser:
        return CollaborationRequest.objects.all()
    departments = set(answering_departments(person, on=on))
    if person.department_id:
        departments.add(person.department_id)
    return CollaborationRequest.objects.filter(
        Q(requester=person) | Q(from_department_id__in=departments) | Q(to_department_id__in=departments)
    )


def get_request_for_user(person, pk: int) -> CollaborationRequest:
    """The request with its people and departments; 404 to those who may not see it."""
    request = (
        requests_visible_to(person)
        .select_related("type", "requester", "from_department", "to_department", "policy_version__policy")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise Http404
    return request


def request_timeline(request: CollaborationRequest):
    return events_for(request).order_by("at", "id")


def request_duties(request: CollaborationRequest, *, now):
    """The request's duties in the ledger (response, delivery), each with its colour as of ``now``."""
    return with_colour(obligations_for(request), now).order_by("opened_at", "id")


def _page(qs: QuerySet[CollaborationRequest], before: int | None) -> list[CollaborationRequest]:
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return list(
        qs.select_related("type", "requester", "from_department", "to_department")
        .only(*LIST_FIELDS)
        .order_by("-id")[:PAGE]
    )


def outgoing(person, *, before: int | None = None) -> list[CollaborationRequest]:
    """我发出的: the person's requests, newest first; keyset pagination on id (``before``)."""
    return _page(CollaborationRequest.objects.filter(requester=person), before)


def incoming(person, *, on: date | None = None, before: int | None = None) -> list[CollaborationRequest]:
    """发给本部门的: requests to the departments the person answers for, newest first."""
    departments = answering_departments(person, on=on)
    return _page(CollaborationRequest.objects.filter(to_department_id__in=departments), before)


def awaiting_answer(person, *, on: date | None = None, limit: int = PAGE) -> list[CollaborationRequest]:
    """Requests to the person's departments still awaiting an answer, oldest first (我的待办)."""
    departments = answering_departments(person, on=on)
    if not departments:
        return []
    return list(
        CollaborationRequest.objects.filter(
            to_department_id__in=departments, status=CollaborationRequest.Status.SUBMITTED
        )
        .select_related("from_department", "to_department")
        .only("title", "submitted_at", "from_department__name", "to_department__name")
        .order_by("submitted_at", "id")[:limit]
    )
