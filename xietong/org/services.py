"""Writing the organisation: roster import, delegations, the calendar's own closed/working days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import DomainError
from xietong.core.events import record_event

from . import roster
from .models import Delegation, Department, Organization, Person, Role, RoleAssignment
from .permissions import require, roles_of

# ---- roster import ---------------------------------------------------------------------

# Person fields the import may write, with the column that feeds them.
_PERSON_FIELDS = {
    "full_name": "name",
    "title": "title",
    "mobile": "mobile",
    "email": "email",
    "wecom_userid": "wecom",
    "dingtalk_userid": "dingtalk",
    "feishu_userid": "feishu",
}


@dataclass(frozen=True)
class RowChange:
    """What the import does (or would do) to the person of one row."""

    row: int
    name: str
    login: str
    action: str  # "create" | "update"
    columns: tuple[str, ...] = ()  # headers of the changed columns, e.g. ("职务", "邮箱")


@dataclass
class ImportReport:
    filename: str
    dry_run: bool
    problems: list[roster.Problem] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    people_created: int = 0
    people_updated: int = 0
    people_unchanged: int = 0
    departments_created: int = 0
    departments_updated: int = 0
    saved: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def file_problems(self) -> list[roster.Problem]:
        return [p for p in self.problems if p.row is None]


def can_manage_org(actor) -> bool:
    return bool(
        actor is not None
        and actor.is_authenticated
        and (actor.is_superuser or roles_of(actor).is_coordinator)
    )


def roster_import(
    *, file_bytes: bytes, filename: str, actor, now: datetime, dry_run: bool = False
) -> ImportReport:
    """Create or update departments and people from a roster file (.xlsx or .csv).

    Preconditions: ``actor`` is the coordinator or a superuser (else Forbidden).
    All or nothing: every row is checked first; when any problem is found nothing is
    saved and the report lists each problem (row as Excel shows it, column header,
    reason). People are matched by 账号 (their login; the mobile when there is no 账号).
    Columns absent from the file are left alone; when 角色 is present the person's roles
    become exactly the listed ones (department roles for the person's 部门). People not in
    the file are not touched. New people get an unusable password: they set one through
    the activation link the coordinator sends them (org/accounts.py) or the password reset.

    With ``dry_run`` the report says what would change and nothing is written.
    Events: ``department.created``, ``department.moved``, ``person.created``,
    ``person.updated`` for each change and ``roster.imported`` on the organisation.
    """
    require(can_manage_org(actor), _("Only the coordinator may import the roster."))
    report = ImportReport(filename=filename, dry_run=dry_run)

    known = {d.name: d for d in Department.objects.select_related("parent")}
    parsed = roster.parse_roster(
        file_bytes,
        filename,
        known_parents={name: (d.parent.name if d.parent is not None else None) for name, d in known.items()},
    )
    report.problems = list(parsed.problems)
    if parsed.problems and not parsed.rows:
        return report
    parents = parsed.parents

    logins = [row.login for row in parsed.rows if row.login]
    existing = {
        p.username: p
        for p in Person.objects.filter(username__in=logins)
        .select_related("department")
        .prefetch_related("roles__department")
    }
    _check_mobile_owners(parsed, existing, report)
    if report.problems:
        report.problems.sort(key=roster.problem_order)
        return report

    with transaction.atomic():
        if not dry_run:
            # One import at a time: a second one waits here, then sees the first one's rows.
            Organization.objects.select_for_update(of=("self",)).filter(pk=Organization.current().pk).first()
        departments = _apply_departments(parents, known, report, actor=actor, now=now, dry_run=dry_run)
        for row in parsed.rows:
            _apply_person(
                row,
                parsed,
                existing.get(row.login),
                departments,
                report,
                actor=actor,
                now=now,
                dry_run=dry_run,
            )
        if not dry_run:
            record_event(
                name="roster.imported",
                actor=actor,
                subject=Organization.current(),
                now=now,
                filename=filename[:200],
                people_created=report.people_created,
                people_updated=report.people_updated,
                departments_created=report.departments_created,
                departments_updated=report.departments_updated,
            )
            report.saved = True
    return report


def _check_mobile_owners(
    parsed: roster.ParsedRoster, existing: dict[str, Person], report: ImportReport
) -> None:
    """A mobile may not be taken from someone the file does not list (messages go to it)."""
    in_file = {row.login for row in parsed.rows}
    mobiles = {row.mobile for row in parsed.rows if row.mobile}
    owners: dict[str, list[Person]] = {}
    for person in (
        Person.objects.filter(mobile__in=mobiles)
        .exclude(username__in=in_file)
        .only("username", "full_name", "mobile")
    ):
        owners.setdefault(person.mobile, []).append(person)
    for row in parsed.rows:
        for other in owners.get(row.mobile, []):
            report.problems.append(
                roster.Problem(
                    row.row,
                    "手机",
                    str(
                        _(
                            "The mobile number %(value)s belongs to %(name)s (account %(login)s) in the system."
                        )
                        % {"value": row.mobile, "name": other.full_name, "login": other.username}
                    ),
                )
            )


def _apply_departments(
    parents: dict[str, str | None], known: dict[str, Department], report: ImportReport, *, actor, now, dry_run
) -> dict[str, Department]:
    departments = dict(known)
    next_order = max((d.sort_order for d in known.values()), default=-1) + 1
    for name in sorted(parents, key=lambda n: (n in known, n)):
        if name in known:
            continue
        report.departments_created += 1
        dept = Department(name=name, sort_order=next_order)
        next_order += 1
        if not dry_run:
            dept.save()
            record_event(name="department.created", actor=actor, subject=dept, now=now, source="roster")
        departments[name] = dept
    for name, parent_name in parents.items():
        dept = departments[name]
        if name in known:
            current = dept.parent.name if dept.parent is not None else None
            if parent_name == current or parent_name is None:
                continue
            report.departments_updated += 1
        elif parent_name is None:
            continue
        if not dry_run:
            old = dept.parent.name if dept.parent is not None else None
            dept.parent = departments[parent_name]
            dept.save(update_fields=["parent"])
            if name in known:
                record_event(
                    name="department.moved",
                    actor=actor,
                    subject=dept,
                    now=now,
                    parent=parent_name,
                    previous_parent=old,
                )
    return departments


def _apply_person(
    row: roster.RosterRow,
    parsed: roster.ParsedRoster,
    person: Person | None,
    departments: dict[str, Department],
    report: ImportReport,
    *,
    actor,
    now: datetime,
    dry_run: bool,
) -> None:
    department = departments.get(row.department) if row.department else None
    wanted = {
        attr: getattr(row, column)
        for attr, column in _PERSON_FIELDS.items()
        if column in ("name", "mobile") or parsed.has(column)
    }
    roles = row.roles if parsed.has("roles") else None

    if person is None:
        report.people_created += 1
        report.changes.append(RowChange(row.row, row.name, row.login, "create"))
        if dry_run:
            return
        person = Person(username=row.login, department=department, **wanted)
        person.set_unusable_password()
        person.save()
        for role, dept_name, rank in sorted(roles or ()):
            RoleAssignment.objects.create(
                person=person, role=role, department=departments[dept_name] if dept_name else None, rank=rank
            )
        record_event(
            name="person.created",
            actor=actor,
            subject=person,
            now=now,
            source="roster",
            row=row.row,
            roles=sorted(r[0] for r in roles or ()),
            password="unusable",
        )
        return

    changed = [attr for attr, value in wanted.items() if getattr(person, attr) != value]
    columns = [roster.HEADER_OF[_PERSON_FIELDS[attr]] for attr in changed]
    dept_changed = (person.department_id or None) != (department.pk if department else None) or (
        department is not None and department.pk is None
    )
    if dept_changed:
        columns.append("部门")
    have = {
        (ra.role, ra.department.name if ra.department is not None else "", ra.rank): ra
        for ra in person.roles.all()
    }
    to_add = sorted(roles - have.keys()) if roles is not None else []
    to_remove = [have[key] for key in sorted(have.keys() - roles)] if roles is not None else []
    if to_add or to_remove:
        columns.append("角色")
    if not columns:
        report.people_unchanged += 1
        return
    report.people_updated += 1
    report.changes.append(RowChange(row.row, row.name, row.login, "update", tuple(columns)))
    if dry_run:
        return
    for attr in changed:
        setattr(person, attr, wanted[attr])
    person.department = department
    person.save(update_fields=[*changed, "department"])
    for assignment in to_remove:
        assignment.delete()
    for role, dept_name, rank in to_add:
        RoleAssignment.objects.create(
            person=person, role=role, department=departments[dept_name] if dept_name else None, rank=rank
        )
    record_event(
        name="person.updated",
        actor=actor,
        subject=person,
        now=now,
        source="roster",
        row=row.row,
        columns=columns,
        roles_added=[list(r) for r in to_add],
        roles_removed=[
            [a.role, a.department.name if a.department is not None else "", a.rank] for a in to_remove
        ],
    )


# ---- delegations -----------------------------------------------------------------------


def delegates_allowed_for(actor) -> list[Person] | None:
    """Whom ``actor`` may name as a delegate: None = anyone (coordinator), else the list."""
    if can_manage_org(actor):
        return None
    headed = headed_departments(actor)
    if not headed:
        return []
    return list(
        Person.objects.filter(
            is_active=True,
            roles__role__in=[Role.DEPUTY, Role.LIAISON],
            roles__department_id__in=headed,
        )
        .exclude(pk=actor.pk)
        .distinct()
        .order_by("full_name", "id")
    )


def headed_departments(person) -> set[int]:
    # Direct assignments only: a delegation is not passed on by its delegate.
    return set(
        RoleAssignment.objects.filter(person=person, role=Role.HEAD, department__isnull=False).values_list(
            "department_id", flat=True
        )
    )


def delegation_create(
    *,
    principal: Person,
    delegate: Person,
    starts_on: date,
    ends_on: date,
    reason: str = "",
    actor,
    now: datetime,
) -> Delegation:
    """``delegate`` acts in ``principal``'s roles from ``starts_on`` to ``ends_on`` (inclusive).

    Preconditions: the coordinator (or a superuser) may set up any delegation; a department
    head may delegate their own roles to a deputy or liaison of a department they head;
    anyone else is Forbidden. Refused (DomainError): delegating to oneself, an inactive
    delegate, a period ending before it starts or already over, a reason over 200
    characters, a period overlapping an existing delegation between the same two people.
    Event: ``delegation.created`` on the principal.
    """
    is_manager = can_manage_org(actor)
    if not is_manager:
        require(bool(headed_departments(actor)), _("Only a department head or the coordinator may delegate."))
        require(principal.pk == actor.pk, _("You may delegate only your own roles."))
    if delegate.pk == principal.pk:
        raise DomainError(
            _("A person cannot delegate to themselves."), code="self_delegation", field="delegate"
        )
    if not delegate.is_active:
        raise DomainError(_("This person's account is disabled."), code="inactive_delegate", field="delegate")
    if not is_manager:
        allowed = delegates_allowed_for(actor) or []
        if delegate.pk not in {p.pk for p in allowed}:
            raise DomainError(
                _("You may delegate only to a deputy or liaison of your own department."),
                code="delegate_not_allowed",
                field="delegate",
            )
    if ends_on < starts_on:
        raise DomainError(_("The end must not be before the start."), code="period_reversed", field="ends_on")
    if ends_on < timezone.localdate(now):
        raise DomainError(_("This period is already over."), code="period_over", field="ends_on")
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise DomainError(
            _("The reason is too long (at most 200 characters)."), code="too_long", field="reason"
        )
    with transaction.atomic():
        # Serialise delegations of one principal so two overlapping requests cannot both pass.
        Person.objects.select_for_update(of=("self",)).filter(pk=principal.pk).first()
        if Delegation.objects.filter(
            principal=principal, delegate=delegate, starts_on__lte=ends_on, ends_on__gte=starts_on
        ).exists():
            raise DomainError(
                _("A delegation to this person already covers part of this period."),
                code="overlap",
                field="starts_on",
            )
        delegation = Delegation.objects.create(
            principal=principal, delegate=delegate, starts_on=starts_on, ends_on=ends_on, reason=reason
        )
        record_event(
            name="delegation.created",
            actor=actor,
            subject=principal,
            now=now,
            delegation_id=delegation.pk,
            delegate_id=delegate.pk,
            starts_on=starts_on.isoformat(),
            ends_on=ends_on.isoformat(),
            reason=reason,
        )
    return delegation


def delegation_revoke(*, delegation: Delegation, actor, now: datetime) -> None:
    """Delete ``delegation``. The coordinator (or a superuser) or its principal may revoke it.

    Event: ``delegation.revoked`` on the principal, with the delegation's details.
    """
    require(
        can_manage_org(actor) or delegation.principal_id == actor.pk,
        _("Only the coordinator or the person who delegated may revoke a delegation."),
    )
    with transaction.atomic():
        locked = (
            Delegation.objects.select_for_update(of=("self",))
            .select_related("principal")
            .filter(pk=delegation.pk)
            .first()
        )
        if locked is None:
            raise DomainError(_("This delegation no longer exists."), code="gone")
        record_event(
            name="delegation.revoked",
            actor=actor,
            subject=locked.principal,
            now=now,
            delegation_id=locked.pk,
            delegate_id=locked.delegate_id,
            starts_on=locked.starts_on.isoformat(),
            ends_on=locked.ends_on.isoformat(),
        )
        locked.delete()


# ---- calendar overrides ----------------------------------------------------------------

OVERRIDE_KINDS = ("closed", "working", "none")


def org_calendar_override_set(*, day: date, kind: str, actor, now: datetime) -> Organization:
    """Mark ``day`` as an extra closed day, an extra working day, or neither ("none").

    Preconditions: the coordinator or a superuser (else Forbidden); ``kind`` in
    OVERRIDE_KINDS and a day in 2000–2100 (else DomainError). A day is never both closed
    and working: setting one removes the other. Event: ``calendar.override_set`` on the
    organisation with the day, the new kind and the previous one (no event when nothing
    changes).
    """
    require(can_manage_org(actor), _("Only the coordinator may change the organisation's calendar."))
    if kind not in OVERRIDE_KINDS:
        raise DomainError(_("Choose closed, working or neither."), code="bad_kind", field="kind")
    if isinstance(day, datetime) or not isinstance(day, date) or not 2000 <= day.year <= 2100:
        raise DomainError(_("Choose a day between 2000 and 2100."), code="bad_day", field="day")
    iso = day.isoformat()
    with transaction.atomic():
        org = Organization.objects.select_for_update(of=("self",)).get(pk=Organization.current().pk)
        closed = [d for d in org.extra_closed_days if d != iso]
        working = [d for d in org.extra_working_days if d != iso]
        previous = (
            "closed"
            if iso in org.extra_closed_days
            else "working"
            if iso in org.extra_working_days
            else "none"
        )
        if previous == kind:
            return org
        if kind == "closed":
            closed.append(iso)
        elif kind == "working":
            working.append(iso)
        org.extra_closed_days = sorted(closed)
        org.extra_working_days = sorted(working)
        org.save(update_fields=["extra_closed_days", "extra_working_days"])
        record_event(
            name="calendar.override_set",
            actor=actor,
            subject=org,
            now=now,
            day=iso,
            kind=kind,
            previous=previous,
        )
    return org
