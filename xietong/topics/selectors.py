"""Reading topics: who may see what, lists, the home-page queues, similar topics."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import Forbidden
from xietong.org.models import Role
from xietong.org.permissions import roles_of
from xietong.policy.calendar import as_shanghai

from . import similarity
from .models import Topic, TopicAttachment
from .services import PRE_SUBMISSION, may

S = Topic.Status

# Roles that follow the whole cycle and so see every topic once it has been submitted.
ORG_WIDE_READERS = (Role.COORDINATOR, Role.HOST, Role.RECORDER, Role.LEADERSHIP, Role.COMMITTEE)
DEPARTMENT_READERS = (Role.LIAISON, Role.HEAD, Role.DEPUTY)

LIST_PAGE_SIZE = 50
QUEUE_SIZE = 10
# Similar-topic search scores the most recent topics only, so it stays fast as the table grows.
SIMILAR_WINDOW = 2000


def _base() -> QuerySet[Topic]:
    return Topic.objects.select_related("department", "author", "meeting")


def visible_q(person, *, on=None) -> Q:
    """Who sees which topic — defined once.

    * A topic before submission (draft, in review, approved, or withdrawn before it was ever
      submitted) is seen only inside its department: its liaisons, head, deputy (roles, also by
      delegation) and its author. The coordinator never sees drafts of other departments.
    * Once submitted, the coordinator, host, recorder, leadership group and committee see it,
      and so does everyone whose department (own or by role) raised it or is involved in it.
    * Anyone else sees nothing.
    """
    if person is None or not person.is_authenticated:
        return Q(pk__in=[])
    if person.is_superuser:
        return Q()
    roles = roles_of(person, on=on)
    role_depts: set[int] = set()
    for role in DEPARTMENT_READERS:
        role_depts |= roles.departments(role)
    q = Q(department_id__in=role_depts) | Q(author_id=person.pk)
    shared = Q(submitted_at__isnull=False) & ~Q(status__in=PRE_SUBMISSION)
    if any(role in roles.org_roles for role in ORG_WIDE_READERS):
        return q | shared
    member_depts = set(role_depts)
    if person.department_id:
        member_depts.add(person.department_id)
    if member_depts:
        involved = Topic.departments_involved.through.objects.filter(department_id__in=member_depts).values(
            "topic_id"
        )
        q |= shared & (Q(department_id__in=member_depts) | Q(pk__in=involved))
    return q


def visible_topics(person) -> QuerySet[Topic]:
    """The topics ``person`` may see (see ``visible_q``), department, author and meeting preloaded."""
    return _base().filter(visible_q(person))


# What a person who sees a topic but may not take a step is told (403).
ERR_MAY_NOT_EDIT = _("Only the department's liaison may edit its topics.")
ERR_MAY_NOT_ACT = _("You may not do this with this topic.")


def get_topic_for_user(person, pk: int, *, now: datetime | None = None, action: str | None = None) -> Topic:
    """Topic ``pk`` with its department, author, series, meeting and regulation, for ``person``.

    Http404 for anyone who may not see it (visible_q): an outsider learns nothing about it.
    With ``action`` "edit" (the edit page), also Forbidden for anyone who sees it but may not
    edit it. With another ``action`` (a step of services.TRANSITIONS, posted from the topic's
    page), Forbidden for anyone who does not hold that step's role, the refusal of the step;
    Http404 only when there is no such topic. The topic's state is the service's to check.
    """
    topics = visible_topics(person) if action in (None, "edit") else _base()
    topic = topics.filter(pk=pk).select_related("series", "meeting__policy_version").first()
    if topic is None:
        raise Http404("topic")
    if action is not None and not may(action, topic=topic, person=person, now=now or timezone.now()):
        message = ERR_MAY_NOT_EDIT if action == "edit" else ERR_MAY_NOT_ACT
        raise Forbidden(message, code=f"forbidden_{action}")
    return topic


def get_attachment_for_user(person, pk: int) -> TopicAttachment:
    """File ``pk`` of a topic's materials with its topic, or Http404 for anyone who may not see
    that topic (get_topic_for_user)."""
    attachment = (
        TopicAttachment.objects.filter(pk=pk, topic__in=visible_topics(person))
        .select_related("topic")
        .first()
    )
    if attachment is None:
        raise Http404("file")
    return attachment


# What a row of the list shows: a topic's six-part text and its 5W1H stay in the database.
LIST_COLUMNS = (
    "title",
    "status",
    "rollover_count",
    "created_at",
    "department__name",
    "meeting__starts_at",
)


def topic_list(
    person,
    *,
    status: str | None = None,
    department_id: int | None = None,
    meeting_id: int | None = None,
    before_id: int | None = None,
    limit: int = LIST_PAGE_SIZE,
) -> tuple[list[Topic], int | None]:
    """One page of visible topics, newest first, keyed by id (no OFFSET, no COUNT), with the
    columns of the list (``LIST_COLUMNS``) and their department and meeting.

    Returns the page and the id to pass as ``before_id`` for the next page (None on the last).
    """
    qs = visible_topics(person)
    if status:
        qs = qs.filter(status=status)
    if department_id:
        qs = qs.filter(department_id=department_id)
    if meeting_id:
        qs = qs.filter(meeting_id=meeting_id)
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    rows = list(
        qs.select_related(None)
        .select_related("department", "meeting")
        .only(*LIST_COLUMNS)
        .order_by("-id")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].pk if more and rows else None)


def _list_url(**params) -> str:
    return f"{reverse('topics:list')}?{urlencode(params)}"


def topic_queues_for(person, *, now: datetime) -> list[dict]:
    """The topic queues of the home page for ``person``'s roles (delegations included).

    Each queue: {"key", "label", "url", "topics": up to 10 topics with department, author and
    meeting preloaded}. One query per queue the person has, plus the role lookup: the number
    of queries does not depend on the number of topics.
    """
    roles = roles_of(person, on=as_shanghai(now).date())
    liaison = roles.departments(Role.LIAISON)
    head = roles.departments(Role.HEAD)
    queues: list[dict] = []

    def add(key, label, url, qs):
        queues.append({"key": key, "label": label, "url": url, "topics": list(qs[:QUEUE_SIZE])})

    if liaison:
        add(
            "drafts",
            _("My department's drafts and returned topics"),
            _list_url(status=S.DRAFT),
            _base().filter(department_id__in=liaison, status=S.DRAFT).order_by("-updated_at", "-id"),
        )
    if head:
        add(
            "review",
            _("Topics awaiting my review"),
            _list_url(status=S.IN_REVIEW),
            _base().filter(department_id__in=head, status=S.IN_REVIEW).order_by("updated_at", "id"),
        )
    if liaison:
        add(
            "to_submit",
            _("Approved topics to submit"),
            _list_url(status=S.APPROVED),
            _base().filter(department_id__in=liaison, status=S.APPROVED).order_by("updated_at", "id"),
        )
    if roles.is_coordinator:
        add(
            "triage",
            _("Submitted topics awaiting triage"),
            _list_url(status=S.SUBMITTED),
            _base().filter(status=S.SUBMITTED).order_by("submitted_at", "id"),
        )
    return queues


def similar_topics(
    text: str | None,
    exclude_id: int | None = None,
    limit: int = 5,
    *,
    viewer=None,
    tokens: str | None = None,
) -> list[Topic]:
    """Earlier topics that look like ``text`` (or the stored ``tokens``), best first.

    Candidates are the latest SIMILAR_WINDOW topics with tokens (one indexed query for their
    ids and tokens), restricted to what ``viewer`` may see when given and, with
    ``exclude_id``, to topics created before that one. They are scored in Python
    (similarity.rank) and the best are fetched with their related rows; each carries
    ``similarity`` (0…1).
    """
    query = tokens.split() if tokens is not None else similarity.tokenize(text or "")
    if not query:
        return []
    qs = Topic.objects.exclude(tokens="")
    if viewer is not None:
        qs = qs.filter(visible_q(viewer))
    if exclude_id:
        qs = qs.filter(pk__lt=exclude_id)
    rows = list(qs.order_by("-id").values_list("id", "tokens")[:SIMILAR_WINDOW])
    ranked = similarity.rank(query, rows, limit=limit)
    if not ranked:
        return []
    found = _base().in_bulk([pk for pk, _score in ranked])
    result = []
    for pk, score in ranked:
        topic = found.get(pk)
        if topic is not None:
            topic.similarity = score
            result.append(topic)
    return result
