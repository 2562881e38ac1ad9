"""Services of the org app: roster import, delegations, calendar overrides."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import translation

from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import events_for
from xietong.core.models import Event
from xietong.org import services
from xietong.org.models import (
    Delegation,
    Department,
    LeadershipRank,
    Organization,
    Person,
    Role,
    RoleAssignment,
)
from xietong.org.permissions import roles_of
from xietong.org.tests.rosterfiles import BASIC, HEADER, csv_bytes, xlsx_bytes
from xietong.policy.calendar import SHANGHAI
from xietong.policy.selectors import business_calendar

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def db_state():
    """Everything the import may touch, to compare before/after."""
    return (
        sorted(Department.objects.values_list("name", "parent__name", "sort_order")),
        sorted(
            Person.objects.values_list(
                "username", "full_name", "title", "mobile", "email", "department__name", "password"
            )
        ),
        sorted(RoleAssignment.objects.values_list("person__username", "role", "department__name", "rank")),
        Event.objects.count(),
    )


def do_import(actor, data, name="roster.csv", **kwargs):
    with translation.override("en"):
        return services.roster_import(file_bytes=data, filename=name, actor=actor, now=NOW, **kwargs)


# ---- roster import -----------------------------------------------------------------------


def test_import_creates_departments_people_roles(torg):
    report = do_import(torg.coordinator, csv_bytes(BASIC))
    assert report.ok and report.saved
    assert (report.people_created, report.people_updated, report.departments_created) == (4, 0, 2)
    software = Department.objects.get(name="软件部")
    assert software.parent.name == "研发中心"
    xu = Person.objects.get(username="13800000002")
    assert (xu.full_name, xu.title, xu.email, xu.department) == (
        "许软件",
        "软件部经理",
        "xu@example.cn",
        software,
    )
    assert not xu.has_usable_password()
    assert roles_of(xu).has(Role.HEAD, software.pk)
    lin = Person.objects.get(full_name="林中心")
    assert RoleAssignment.objects.get(person=lin, role=Role.LEADERSHIP).rank == LeadershipRank.MEMBER
    ma = Person.objects.get(full_name="马副职")
    assert roles_of(ma).has(Role.DEPUTY, software.pk) and roles_of(ma).has(Role.HOST)
    created = Event.objects.filter(name="person.created")
    assert created.count() == 4
    assert created.first().data["password"] == "unusable"
    assert created.first().actor == torg.coordinator
    summary = Event.objects.get(name="roster.imported")
    assert summary.data["people_created"] == 4
    assert Event.objects.filter(name="department.created").count() == 2


def test_import_same_file_twice_changes_nothing(torg):
    data = xlsx_bytes(BASIC)
    do_import(torg.coordinator, data, "roster.xlsx")
    before = db_state()
    report = do_import(torg.coordinator, data, "roster.xlsx")
    assert report.ok
    assert (
        report.people_created,
        report.people_updated,
        report.departments_created,
        report.departments_updated,
    ) == (
        0,
        0,
        0,
        0,
    )
    assert report.people_unchanged == 4
    after = db_state()
    assert after[:3] == before[:3]
    assert after[3] == before[3] + 1  # only the roster.imported summary


def test_changed_title_and_email_update_that_person(torg):
    do_import(torg.coordinator, csv_bytes(BASIC))
    changed = [list(r) for r in BASIC]
    changed[1][3] = "软件部总监"
    changed[1][5] = "xu.new@example.cn"
    report = do_import(torg.coordinator, csv_bytes(changed))
    assert (report.people_created, report.people_updated, report.people_unchanged) == (0, 1, 3)
    assert report.changes[0].columns == ("职务", "邮箱")
    xu = Person.objects.get(username="13800000002")
    assert (xu.title, xu.email) == ("软件部总监", "xu.new@example.cn")
    event = Event.objects.get(name="person.updated")
    assert event.subject_id == xu.pk and event.data["columns"] == ["职务", "邮箱"]


def test_import_matches_existing_people_by_login_and_syncs_roles(torg):
    header = [*HEADER, "账号"]
    rows = [
        [
            "技术部",
            "",
            "周技术",
            "技术部经理",
            "13900000001",
            "tech_head@example.cn",
            "科室负责人、主持人",
            "tech_head",
        ]
    ]
    report = do_import(torg.coordinator, csv_bytes(rows, header=header))
    assert report.ok
    assert (report.people_created, report.people_updated) == (0, 1)
    head = Person.objects.get(username="tech_head")
    assert head.mobile == "13900000001"
    assert head.has_usable_password()  # an existing person's password is never touched
    assert set(head.roles.values_list("role", flat=True)) == {Role.HEAD, Role.HOST}
    # Dropping 主持人 from the file removes the role.
    rows[0][6] = "科室负责人"
    do_import(torg.coordinator, csv_bytes(rows, header=header))
    assert set(head.roles.values_list("role", flat=True)) == {Role.HEAD}


def test_department_move_counts_as_department_update(torg):
    rows = [["技术部", "办公室", "新人", "", "13800000009", "", ""]]
    report = do_import(torg.coordinator, csv_bytes(rows))
    assert report.ok and report.departments_updated == 1 and report.departments_created == 0
    assert Department.objects.get(name="技术部").parent == torg.departments["office"]
    assert Event.objects.filter(name="department.moved").count() == 1


def test_any_problem_saves_nothing(torg):
    rows = [*BASIC, ["软件部", "研发中心", "坏人", "", "123", "bad", "老板"]]
    before = db_state()
    report = do_import(torg.coordinator, csv_bytes(rows))
    assert not report.ok and not report.saved
    assert [(p.row, p.column) for p in report.problems] == [(6, "手机"), (6, "邮箱"), (6, "角色")]
    assert db_state() == before


def test_mobile_of_someone_not_in_the_file_refused(torg):
    taken = torg.tech_liaison.mobile
    report = do_import(torg.coordinator, csv_bytes([["技术部", "", "冒名", "", taken, "", ""]]))
    assert [(p.row, p.column) for p in report.problems] == [(2, "手机")]
    assert "tech_liaison" in report.problems[0].message


def test_dry_run_reports_and_saves_nothing(torg):
    before = db_state()
    report = do_import(torg.coordinator, csv_bytes(BASIC), dry_run=True)
    assert report.ok and not report.saved
    assert (report.people_created, report.departments_created) == (4, 2)
    assert [c.action for c in report.changes] == ["create"] * 4
    assert db_state() == before


def test_unknown_header_saves_nothing(torg):
    before = db_state()
    report = do_import(
        torg.coordinator,
        csv_bytes([["软件部", "甲", "13800000001", "x"]], header=["部门", "姓名", "手机", "备注"]),
    )
    assert len(report.problems) == 1 and report.problems[0].column == "备注"
    assert db_state() == before


@pytest.mark.parametrize("persona", ["tech_head", "tech_liaison", "outsider", "chair", "host"])
def test_only_the_coordinator_may_import(torg, persona):
    before = db_state()
    with pytest.raises(Forbidden):
        do_import(getattr(torg, persona), csv_bytes(BASIC))
    assert db_state() == before


def test_superuser_may_import(torg):
    admin = Person.objects.create_superuser(username="root", password="x-Very-long-1")
    assert do_import(admin, csv_bytes(BASIC)).saved


# ---- delegations -------------------------------------------------------------------------

TODAY = NOW.date()


def delegate(actor, principal, to, *, start=TODAY, end=TODAY + timedelta(days=6), reason=""):
    return services.delegation_create(
        principal=principal, delegate=to, starts_on=start, ends_on=end, reason=reason, actor=actor, now=NOW
    )


def test_head_delegates_to_own_deputy_and_delegate_gains_roles(torg):
    d = delegate(torg.tech_head, torg.tech_head, torg.tech_deputy, reason="出差")
    assert d.pk and d.reason == "出差"
    tech = torg.departments["tech"].pk
    assert roles_of(torg.tech_deputy, on=TODAY).has(Role.HEAD, tech)
    assert not roles_of(torg.tech_deputy, on=TODAY + timedelta(days=7)).has(Role.HEAD, tech)
    event = events_for(torg.tech_head).get(name="delegation.created")
    assert event.data["delegation_id"] == d.pk and event.actor == torg.tech_head


def test_head_delegates_to_own_liaison(torg):
    assert delegate(torg.tech_head, torg.tech_head, torg.tech_liaison).pk


def test_head_may_not_delegate_outside_own_department(torg):
    with pytest.raises(DomainError) as err:
        delegate(torg.tech_head, torg.tech_head, torg.market_liaison)
    assert (err.value.code, err.value.field) == ("delegate_not_allowed", "delegate")
    assert not Delegation.objects.exists()


def test_head_may_not_delegate_someone_elses_roles(torg):
    with pytest.raises(Forbidden):
        delegate(torg.tech_head, torg.market_head, torg.tech_deputy)
    assert not Delegation.objects.exists()


@pytest.mark.parametrize("persona", ["tech_liaison", "tech_deputy", "outsider", "host"])
def test_non_heads_may_not_delegate(torg, persona):
    person = getattr(torg, persona)
    with pytest.raises(Forbidden):
        delegate(person, person, torg.tech_head)
    assert (
        not Delegation.objects.exists() and not Event.objects.filter(name__startswith="delegation").exists()
    )


def test_coordinator_delegates_for_anyone(torg):
    d = delegate(torg.coordinator, torg.market_head, torg.finance_liaison)
    assert (d.principal, d.delegate) == (torg.market_head, torg.finance_liaison)


def test_delegate_cannot_be_oneself(torg):
    with pytest.raises(DomainError) as err:
        delegate(torg.coordinator, torg.tech_head, torg.tech_head)
    assert (err.value.code, err.value.field) == ("self_delegation", "delegate")


def test_end_before_start_refused(torg):
    with pytest.raises(DomainError) as err:
        delegate(
            torg.tech_head,
            torg.tech_head,
            torg.tech_deputy,
            start=TODAY + timedelta(days=3),
            end=TODAY + timedelta(days=1),
        )
    assert (err.value.code, err.value.field) == ("period_reversed", "ends_on")


def test_period_already_over_refused(torg):
    with pytest.raises(DomainError) as err:
        delegate(
            torg.tech_head,
            torg.tech_head,
            torg.tech_deputy,
            start=TODAY - timedelta(days=5),
            end=TODAY - timedelta(days=1),
        )
    assert err.value.code == "period_over"


def test_overlapping_delegation_to_same_person_refused(torg):
    delegate(torg.tech_head, torg.tech_head, torg.tech_deputy)
    with pytest.raises(DomainError) as err:
        delegate(
            torg.tech_head,
            torg.tech_head,
            torg.tech_deputy,
            start=TODAY + timedelta(days=6),
            end=TODAY + timedelta(days=9),
        )
    assert err.value.code == "overlap"
    # A different delegate for the same days is fine (deputy and liaison both stand in).
    assert delegate(torg.tech_head, torg.tech_head, torg.tech_liaison).pk


def test_inactive_delegate_refused(torg):
    torg.tech_deputy.is_active = False
    torg.tech_deputy.save()
    with pytest.raises(DomainError) as err:
        delegate(torg.coordinator, torg.tech_head, torg.tech_deputy)
    assert err.value.code == "inactive_delegate"


def test_delegation_is_not_passed_on(torg):
    """The deputy acting as head cannot re-delegate the head's role."""
    delegate(torg.tech_head, torg.tech_head, torg.tech_deputy)
    with pytest.raises(Forbidden):
        delegate(torg.tech_deputy, torg.tech_deputy, torg.tech_liaison)


@pytest.mark.parametrize(
    "persona,allowed",
    [
        ("coordinator", True),
        ("tech_head", True),
        ("tech_deputy", False),
        ("outsider", False),
        ("market_head", False),
    ],
)
def test_revoke_matrix(torg, persona, allowed):
    d = delegate(torg.tech_head, torg.tech_head, torg.tech_deputy)
    actor = getattr(torg, persona)
    if allowed:
        services.delegation_revoke(delegation=d, actor=actor, now=NOW)
        assert not Delegation.objects.filter(pk=d.pk).exists()
        event = events_for(torg.tech_head).get(name="delegation.revoked")
        assert event.data["delegation_id"] == d.pk and event.actor == actor
        assert not roles_of(Person.objects.get(pk=torg.tech_deputy.pk), on=TODAY).has(Role.HEAD)
    else:
        with pytest.raises(Forbidden):
            services.delegation_revoke(delegation=d, actor=actor, now=NOW)
        assert Delegation.objects.filter(pk=d.pk).exists()
        assert not Event.objects.filter(name="delegation.revoked").exists()


def test_revoke_twice_refused(torg):
    d = delegate(torg.tech_head, torg.tech_head, torg.tech_deputy)
    services.delegation_revoke(delegation=d, actor=torg.coordinator, now=NOW)
    with pytest.raises(DomainError) as err:
        services.delegation_revoke(delegation=d, actor=torg.coordinator, now=NOW)
    assert err.value.code == "gone"


# ---- calendar overrides ------------------------------------------------------------------


def test_override_closed_working_none(torg):
    day = date(2026, 3, 4)  # a Wednesday
    services.org_calendar_override_set(day=day, kind="closed", actor=torg.coordinator, now=NOW)
    assert business_calendar().is_working_day(day) is False
    services.org_calendar_override_set(day=day, kind="working", actor=torg.coordinator, now=NOW)
    org = Organization.current()
    assert org.extra_closed_days == [] and org.extra_working_days == ["2026-03-04"]
    saturday = date(2026, 3, 7)
    services.org_calendar_override_set(day=saturday, kind="working", actor=torg.coordinator, now=NOW)
    assert business_calendar().is_working_day(saturday) is True
    services.org_calendar_override_set(day=day, kind="none", actor=torg.coordinator, now=NOW)
    org.refresh_from_db()
    assert org.extra_working_days == ["2026-03-07"] and org.extra_closed_days == []
    events = list(Event.objects.filter(name="calendar.override_set").order_by("id"))
    assert [(e.data["day"], e.data["kind"], e.data["previous"]) for e in events] == [
        ("2026-03-04", "closed", "none"),
        ("2026-03-04", "working", "closed"),
        ("2026-03-07", "working", "none"),
        ("2026-03-04", "none", "working"),
    ]


def test_override_unchanged_records_nothing(torg):
    services.org_calendar_override_set(day=date(2026, 3, 4), kind="none", actor=torg.coordinator, now=NOW)
    assert not Event.objects.filter(name="calendar.override_set").exists()


def test_override_bad_kind_and_day(torg):
    with pytest.raises(DomainError) as err:
        services.org_calendar_override_set(
            day=date(2026, 3, 4), kind="holiday", actor=torg.coordinator, now=NOW
        )
    assert (err.value.code, err.value.field) == ("bad_kind", "kind")
    with pytest.raises(DomainError) as err:
        services.org_calendar_override_set(
            day=date(1999, 3, 4), kind="closed", actor=torg.coordinator, now=NOW
        )
    assert (err.value.code, err.value.field) == ("bad_day", "day")


@pytest.mark.parametrize("persona", ["tech_head", "tech_liaison", "outsider", "chair"])
def test_override_forbidden(torg, persona):
    with pytest.raises(Forbidden):
        services.org_calendar_override_set(
            day=date(2026, 3, 4), kind="closed", actor=getattr(torg, persona), now=NOW
        )
    org = Organization.current()
    assert org.extra_closed_days == [] and not Event.objects.filter(name="calendar.override_set").exists()
