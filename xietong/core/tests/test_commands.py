"""The management commands: compile_translations, demo, serve."""

from __future__ import annotations

import gettext
import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from xietong.agenda.models import Agenda
from xietong.core.events import Event
from xietong.core.i18n import read_po
from xietong.core.management.commands.compile_translations import build_mo, compile_po, po_files
from xietong.desk.management.commands import demo
from xietong.meetings.models import Meeting, MeetingSeries, Rsvp
from xietong.obligations.models import Obligation, ObligationKind
from xietong.org.models import Delegation, Department, LeadershipRank, Person, Role, RoleAssignment
from xietong.policy.calendar import SHANGHAI
from xietong.policy.models import Policy
from xietong.topics.models import Topic

REPO = Path(__file__).resolve().parents[3]

SAMPLE_PO = r"""# Translation of Xietong.
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=1; plural=0;\n"

#: xietong/core/views.py:1
msgid "Topics"
msgstr "议题"

msgid ""
"Submit by %(when)s "
"under \"%(clause)s\".\n"
msgstr ""
"请于%(when)s前提交"
"（依据“%(clause)s”）。\n"

#, fuzzy
msgid "Guessed"
msgstr "猜的"

msgid "Not yet translated"
msgstr ""

msgctxt "month name"
msgid "May"
msgstr "五月"

#, python-format
msgid "%(count)s topic"
msgid_plural "%(count)s topics"
msgstr[0] "%(count)s 个议题"

msgid "Tab\there and a back\\slash"
msgstr "制表\t与反斜杠\\"

#~ msgid "Old"
#~ msgstr "旧"
"""


def catalogue(tmp_path: Path, po_text: str) -> gettext.GNUTranslations:
    po = tmp_path / "django.po"
    po.write_text(po_text, encoding="utf-8")
    return gettext.GNUTranslations(io.BytesIO(build_mo(*read_po(po))))


def read_mo(path: Path) -> gettext.GNUTranslations:
    return gettext.GNUTranslations(io.BytesIO(path.read_bytes()))


# ---- compile_translations ---------------------------------------------------------------


def test_a_compiled_catalogue_reads_back_like_gnu_gettext_writes_it(tmp_path):
    t = catalogue(tmp_path, SAMPLE_PO)
    assert t.gettext("Topics") == "议题"
    assert (
        t.gettext('Submit by %(when)s under "%(clause)s".\n') == "请于%(when)s前提交（依据“%(clause)s”）。\n"
    )
    assert t.pgettext("month name", "May") == "五月"
    assert t.gettext("May") == "May"  # the context is part of the key
    assert t.ngettext("%(count)s topic", "%(count)s topics", 3) == "%(count)s 个议题"
    assert t.gettext("Tab\there and a back\\slash") == "制表\t与反斜杠\\"
    assert t.info()["plural-forms"] == "nplurals=1; plural=0;"


def test_fuzzy_untranslated_and_obsolete_entries_are_left_out(tmp_path):
    t = catalogue(tmp_path, SAMPLE_PO)
    assert t.gettext("Guessed") == "Guessed"
    assert t.gettext("Not yet translated") == "Not yet translated"
    assert t.gettext("Old") == "Old"
    # header + 5 translated messages, nothing else
    po = tmp_path / "django.po"
    assert int.from_bytes(build_mo(*read_po(po))[8:12], "little") == 6


def test_the_project_catalogue_compiles_to_what_django_serves(tmp_path):
    (po,) = po_files(Path(settings.BASE_DIR))
    mo = tmp_path / "django.mo"
    count = compile_po(po, mo)
    _, entries = read_po(po)
    assert count == 1 + sum(e.translated for e in entries)
    compiled = read_mo(mo)
    for entry in entries:
        if entry.translated and entry.plural is None and entry.context is None:
            assert compiled.gettext(entry.msgid) == entry.msgstr


def test_the_command_compiles_each_catalogue_once(tmp_path):
    po = tmp_path / "pkg" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(SAMPLE_PO, encoding="utf-8")
    mo = po.with_suffix(".mo")
    out = io.StringIO()
    with override_settings(BASE_DIR=tmp_path / "pkg"):
        call_command("compile_translations", stdout=out)
        assert "6 messages" in out.getvalue()
        assert read_mo(mo).gettext("Topics") == "议题"

        stamp = mo.stat().st_mtime_ns
        again = io.StringIO()
        call_command("compile_translations", stdout=again)
        assert again.getvalue() == ""
        assert mo.stat().st_mtime_ns == stamp

        po.write_text(SAMPLE_PO.replace('msgstr "议题"', 'msgstr "议题（改）"'), encoding="utf-8")
        os.utime(po, ns=(stamp + 10**9, stamp + 10**9))
        call_command("compile_translations", stdout=io.StringIO())
        assert read_mo(mo).gettext("Topics") == "议题（改）"

        po.write_text(SAMPLE_PO.replace("charset=UTF-8", "charset=GB2312"), encoding="utf-8")
        with pytest.raises(CommandError, match="charset=UTF-8"):
            call_command("compile_translations", "--force", stdout=io.StringIO())


# ---- demo -------------------------------------------------------------------------------


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Person, Department, RoleAssignment, Policy, MeetingSeries, Meeting, Delegation, Event)
    }


# A Friday: the week's topic window (seed 01 第六条1, Thursday 10:00–17:00) has closed, so the
# week in progress shows every state of a topic's way to the agenda.
DEMO_FRIDAY = datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI)


def test_demo_before_the_topic_window_keeps_the_weeks_topics_approved(db):
    """On a Tuesday the coming meeting's window has not opened: the week's ready topics wait,
    approved, for Thursday; nothing of that week is submitted before its window."""
    tuesday = datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(tuesday, tick=False):
        call_command("demo", stdout=io.StringIO())
    coming = Meeting.objects.filter(series__isnull=False, starts_at__gt=tuesday).order_by("starts_at").first()
    waiting = Topic.objects.filter(meeting=coming)
    assert waiting.filter(status="approved").exists()
    # Only topics rolled over from an earlier meeting are already triaged for it.
    assert not waiting.filter(status__in=["submitted", "triaged", "scheduled"], rollover_count=0).exists()


@time_machine.travel(DEMO_FRIDAY, tick=False)
def test_demo_loads_a_whole_organisation_once(db):
    out = io.StringIO()
    call_command("demo", stdout=out)

    assert Department.objects.count() >= 12
    assert Department.objects.filter(parent__isnull=False).exists()  # a tree, not a list
    assert Person.objects.count() >= 40
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)
    ranks = set(RoleAssignment.objects.filter(role=Role.LEADERSHIP).values_list("rank", flat=True))
    assert ranks == set(LeadershipRank.values)
    assert RoleAssignment.objects.filter(role=Role.COORDINATOR).count() == 1
    for department in Department.objects.all():
        held = set(RoleAssignment.objects.filter(department=department).values_list("role", flat=True))
        assert {Role.HEAD, Role.LIAISON} <= held, department.name
    assert RoleAssignment.objects.filter(role=Role.DEPUTY).count() >= 5
    assert all("\u4e00" <= p.full_name[0] <= "\u9fff" for p in Person.objects.all())
    assert Policy.objects.count() == 3  # the two meeting regulations and seed 03's approvals
    from xietong.approvals.models import ApprovalTemplate

    purchase = ApprovalTemplate.objects.get(key="equipment-purchase")
    assert purchase.policy.current_version().rules.amount("approval_finance_threshold") == 10_000
    series = MeetingSeries.objects.get()
    assert (series.rrule, series.start_time.hour, series.location) == (
        "FREQ=WEEKLY;BYDAY=MO",
        9,
        "三楼第一会议室",
    )
    assert series.policy.key == "weekly-cross-department"
    assert Delegation.objects.count() == 1
    assert Event.objects.filter(name="roster.imported").exists()  # built through the roster service

    # A few weeks of history, built through the topic, agenda and meeting services.
    statuses = set(Topic.objects.values_list("status", flat=True))
    assert {"draft", "in_review", "approved", "submitted", "triaged", "scheduled", "rejected"} <= statuses
    assert Topic.objects.filter(status="draft").exclude(head_comment="").exists()  # returned by the head
    assert Topic.objects.filter(status="triaged").exclude(deferral_reason="").exists()  # rolled over
    late = Obligation.objects.filter(kind=ObligationKind.SUBMISSION, state=Obligation.State.BREACHED)
    assert late.filter(closed_at__isnull=False).exists()  # submitted after the cut-off
    # Three past weeks and today's emergency meeting were announced; the two latest weeks were held.
    assert Agenda.objects.filter(status=Agenda.Status.PUBLISHED).count() == 4
    weekly = Meeting.objects.filter(series__isnull=False)
    assert weekly.filter(status=Meeting.Status.HELD).count() == 2
    published = weekly.filter(status=Meeting.Status.PUBLISHED)
    assert published.count() == 1
    assert all(m.starts_at < timezone.now() for m in published)
    emergency = Meeting.objects.get(series__isnull=True)
    assert (emergency.status, emergency.is_emergency) == (Meeting.Status.PUBLISHED, True)
    assert emergency.starts_at > timezone.now()
    answers = set(Rsvp.objects.values_list("response", flat=True))
    assert {"attend", "delegate", "absent", "pending"} <= answers
    assert not Event.objects.filter(at__gt=timezone.now()).exists()  # nothing dated in the future
    upcoming = Meeting.objects.get(status=Meeting.Status.PLANNED)
    assert upcoming.starts_at > timezone.now()

    # The loaded weeks are in the in-app inboxes, but nothing goes out by e-mail or robot.
    from xietong.notify.models import Delivery, Message

    assert not Event.objects.filter(dispatched_at__isnull=True).exists()
    assert Message.objects.filter(recipient__username="chenjing", topic="meeting_notice").exists()
    assert not Delivery.objects.filter(state=Delivery.State.PENDING).exists()

    text = out.getvalue()
    assert demo.DEMO_PASSWORD in text
    for _label, login in demo.SHOWCASE:
        assert login in text
    assert Person.objects.get(username="chenjing").check_password(demo.DEMO_PASSWORD)
    assert Person.objects.get(username="admin").is_superuser

    # An approval runs in the demo: 研发一部's liaison files ¥80,000, head → finance → general manager.
    from xietong.approvals.services import approval_approve, approval_submit

    approval = approval_submit(
        template=purchase,
        actor=Person.objects.get(username="zhuwenbo"),
        now=timezone.now(),
        title="采购示波器",
        amount=80_000,
        values={"purpose": "联调测试"},
    )
    for username in ("hanbing", "zhenghua", "zhangjianguo"):
        approval = approval_approve(
            approval=approval, actor=Person.objects.get(username=username), now=timezone.now()
        )
    assert approval.status == "approved"

    before = counts()
    again = io.StringIO()
    call_command("demo", stdout=again)
    assert counts() == before
    assert "already loaded" in again.getvalue()
    assert demo.DEMO_PASSWORD in again.getvalue()


def test_demo_leaves_a_real_organisation_alone(torg):
    before = counts()
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert counts() == before
    assert "not loaded" in out.getvalue()
    assert demo.DEMO_PASSWORD not in out.getvalue()


# ---- serve ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_serve_runs_gunicorn_and_the_worker_and_stops_both_on_sigterm(tmp_path):
    port = free_port()
    env = {**os.environ, "XIETONG_VAR_DIR": str(tmp_path), "XIETONG_BIND": f"127.0.0.1:{port}"}
    env["XIETONG_LIVE_BIND"] = f"127.0.0.1:{free_port()}"
    # Configured as in production: no console-mail warning (xietong.mail.W001) before the first line.
    env["XIETONG_EMAIL_BACKEND"] = "django.core.mail.backends.smtp.EmailBackend"
    proc = subprocess.Popen(
        [sys.executable, "-m", "xietong", "serve", "--workers", "2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line, line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:  # noqa: S310
            assert response.status == 200
            assert response.read() == b"ok"
        kids = children_of(proc.pid)
        commands = [Path(f"/proc/{k}/cmdline").read_bytes().replace(b"\0", b" ") for k in kids]
        assert any(b"gunicorn xietong.wsgi:application" in c for c in commands), commands
        assert any(b"run_huey" in c for c in commands), commands

        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, rest
    assert "Xietong stopped." in rest
    deadline = time.monotonic() + 5
    while any(alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(k) for k in kids)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_serve_fails_when_the_port_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "XIETONG_VAR_DIR": str(tmp_path), "XIETONG_BIND": f"127.0.0.1:{port}"}
        result = subprocess.run(
            [sys.executable, "-m", "xietong", "serve"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
