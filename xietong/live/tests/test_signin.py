"""Signing in to the live room: QR code, one-time links, the recorder's desk, guests, delegates."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.live import roompass, selectors, services, tokens
from xietong.live.models import Guest, SigninLinkUse
from xietong.meetings.models import Rsvp
from xietong.meetings.tests.factories import sh
from xietong.org.models import Delegation
from xietong.records.models import Attendance

from .helpers import DURING, EARLY, OPEN, live_meeting, version


@pytest.fixture
def meeting(torg):
    return live_meeting(torg)


def delegate_on_notice(meeting, invitee, delegate):
    Rsvp.objects.filter(meeting=meeting, invitee=invitee).update(
        response=Rsvp.Response.DELEGATE, delegate=delegate
    )


# ---- services --------------------------------------------------------------------------------


def test_on_time_and_late_sign_in_land_in_the_record(torg, meeting):
    services.signin_self(meeting=meeting, actor=torg.tech_head, now=EARLY)
    services.signin_self(meeting=meeting, actor=torg.market_head, now=sh(2026, 3, 9, 9, 0, 1))
    on_time = Attendance.objects.get(meeting=meeting, person=torg.tech_head)
    late = Attendance.objects.get(meeting=meeting, person=torg.market_head)
    assert (on_time.status, on_time.signed_in_at, on_time.recorded_by) == ("present", EARLY, torg.tech_head)
    assert late.status == "late"
    state = selectors.room_state(meeting, DURING)
    assert [(s["name"], s["late"]) for s in state["signed_in"]] == [("周技术", False), ("王市场", True)]
    assert Event.objects.filter(name="live.signed_in").count() == 2


def test_exactly_at_the_start_is_on_time(torg, meeting):
    services.signin_self(meeting=meeting, actor=torg.tech_head, now=sh(2026, 3, 9, 9, 0))
    assert Attendance.objects.get(person=torg.tech_head).status == "present"


@pytest.mark.parametrize("who", ["outsider", "chair", "finance_liaison", "tech_deputy"])
def test_non_invitees_cannot_sign_in(torg, meeting, who):
    before = version(meeting)
    with pytest.raises(Forbidden) as err:
        services.signin_self(meeting=meeting, actor=getattr(torg, who), now=EARLY)
    assert err.value.code == "not_invited"
    assert not Attendance.objects.exists() and version(meeting) == before


def test_double_sign_in_refused(torg, meeting):
    services.signin_self(meeting=meeting, actor=torg.tech_head, now=EARLY)
    with pytest.raises(DomainError) as err:
        services.signin_self(meeting=meeting, actor=torg.tech_head, now=OPEN)
    assert err.value.code == "already_signed_in"
    assert Attendance.objects.get(person=torg.tech_head).signed_in_at == EARLY


def test_sign_in_before_the_day_or_with_a_wrong_code_refused(torg, meeting):
    with pytest.raises(DomainError) as err:
        services.signin_self(meeting=meeting, actor=torg.tech_head, now=sh(2026, 3, 8, 20, 0))
    assert err.value.code == "too_early"
    with pytest.raises(DomainError) as err:
        services.signin_self(meeting=meeting, actor=torg.tech_head, now=EARLY, token="forged")
    assert err.value.code == "bad_token"
    token = services.room_for(meeting).signin_token
    services.signin_self(meeting=meeting, actor=torg.tech_head, now=EARLY, token=token)
    assert Attendance.objects.count() == 1


def test_sign_in_after_the_meeting_ended_refused(torg, meeting):
    services.room_open(meeting=meeting, actor=torg.host, now=OPEN)
    services.meeting_end(meeting=meeting, actor=torg.host, now=DURING)
    with pytest.raises(DomainError) as err:
        services.signin_self(meeting=meeting, actor=torg.tech_head, now=DURING)
    assert err.value.code == "ended"


def test_delegate_named_on_the_notice_signs_in_for_the_head(torg, meeting):
    delegate_on_notice(meeting, torg.finance_head, torg.finance_liaison)
    attendance = services.signin_self(meeting=meeting, actor=torg.finance_liaison, now=OPEN)
    assert (attendance.person, attendance.on_behalf_of, attendance.status) == (
        torg.finance_liaison,
        torg.finance_head,
        "late",
    )
    assert selectors.room_state(meeting, OPEN)["signed_in"][0]["delegate_for"] == "陈财务"
    # The head arrives after all: the seat is taken.
    with pytest.raises(DomainError) as err:
        services.signin_self(meeting=meeting, actor=torg.finance_head, now=DURING)
    assert err.value.code == "seat_taken"


def test_period_delegation_counts_and_a_delegate_of_two_chooses(torg, meeting):
    Delegation.objects.create(
        principal=torg.tech_head,
        delegate=torg.tech_deputy,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
    )
    Delegation.objects.create(
        principal=torg.market_head,
        delegate=torg.tech_deputy,
        starts_on=date(2026, 3, 9),
        ends_on=date(2026, 3, 9),
    )
    with pytest.raises(DomainError) as err:
        services.signin_self(meeting=meeting, actor=torg.tech_deputy, now=EARLY)
    assert (err.value.code, err.value.field) == ("choose_principal", "on_behalf_of")
    with pytest.raises(DomainError) as err:
        services.signin_self(
            meeting=meeting, actor=torg.tech_deputy, now=EARLY, on_behalf_of=torg.finance_head
        )
    assert err.value.code == "not_delegate"
    a = services.signin_self(
        meeting=meeting, actor=torg.tech_deputy, now=EARLY, on_behalf_of=torg.market_head
    )
    assert a.on_behalf_of == torg.market_head


def test_an_invitee_who_is_also_a_delegate_signs_in_as_themselves_by_default(torg, meeting):
    delegate_on_notice(meeting, torg.tech_head, torg.tech_liaison)
    a = services.signin_self(meeting=meeting, actor=torg.tech_liaison, now=EARLY)
    assert a.on_behalf_of is None


def test_recorder_signs_someone_in_by_hand(torg, meeting):
    a = services.signin_by_recorder(meeting=meeting, person=torg.market_head, actor=torg.recorder, now=OPEN)
    assert (a.status, a.recorded_by) == ("late", torg.recorder)
    delegate_on_notice(meeting, torg.finance_head, torg.finance_liaison)
    a = services.signin_by_recorder(
        meeting=meeting, person=torg.finance_liaison, actor=torg.recorder, now=OPEN
    )
    assert a.on_behalf_of == torg.finance_head
    with pytest.raises(Forbidden):
        services.signin_by_recorder(meeting=meeting, person=torg.outsider, actor=torg.recorder, now=OPEN)
    with pytest.raises(Forbidden):
        services.signin_by_recorder(meeting=meeting, person=torg.tech_head, actor=torg.tech_liaison, now=OPEN)
    assert Attendance.objects.count() == 2


def test_an_absence_recorded_earlier_becomes_the_sign_in(torg, meeting):
    from xietong.records.services import attendance_record

    attendance_record(
        meeting=meeting, person=torg.tech_head, status="absent", reason="出差", actor=torg.recorder, now=EARLY
    )
    services.signin_self(meeting=meeting, actor=torg.tech_head, now=OPEN)
    a = Attendance.objects.get(person=torg.tech_head)
    assert (a.status, a.reason) == ("late", "")


# ---- one-time links --------------------------------------------------------------------------


def test_one_time_link_signs_in_once(torg, meeting):
    path = services.signin_link(meeting, torg.tech_head)
    token = path.rstrip("/").rsplit("/", 1)[1]
    services.signin_with_link(token=token, now=EARLY)
    assert Attendance.objects.get(person=torg.tech_head).status == "present"
    assert SigninLinkUse.objects.count() == 1
    with pytest.raises(DomainError) as err:
        services.signin_with_link(token=token, now=OPEN)
    assert err.value.code == "link_used"
    with pytest.raises(DomainError) as err:
        services.signin_with_link(token=token[:-2] + "xx", now=OPEN)
    assert err.value.code == "bad_link"


def test_one_time_link_of_a_non_invitee_is_refused_and_not_used_up(torg, meeting):
    path = services.signin_link(meeting, torg.outsider)
    token = path.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(Forbidden):
        services.signin_with_link(token=token, now=EARLY)
    assert not SigninLinkUse.objects.exists()


def test_link_page_get_does_not_use_the_link_post_signs_in_without_a_login(torg, meeting, client):
    path = services.signin_link(meeting, torg.market_head)
    with time_machine.travel(EARLY, tick=False):
        page = client.get(path)
        assert page.status_code == 200 and "王市场" in page.content.decode()
        assert not SigninLinkUse.objects.exists()
        response = client.post(path)
        assert response.status_code == 302 and response["Location"] == reverse(
            "live:phone", args=[meeting.pk]
        )
        assert Attendance.objects.get(person=torg.market_head).status == "present"
        # A room pass for this meeting, no login.
        assert "_auth_user_id" not in client.session
        assert client.session[roompass.SESSION_KEY]["m"] == meeting.pk
        again = client.post(path)
    assert again.status_code == 400
    assert client.get("/live/s/forged-token/").status_code == 404


# ---- guests ----------------------------------------------------------------------------------


def test_host_admits_a_guest_who_may_speak_but_not_vote(torg, meeting):
    services.room_open(meeting=meeting, actor=torg.host, now=OPEN)
    guest = services.guest_admit(
        meeting=meeting, actor=torg.host, now=OPEN, person=torg.outsider, note="供应商"
    )
    assert (guest.name, guest.admitted_by) == ("卫路人", torg.host)
    assert Event.objects.filter(name="live.guest_admitted").exists()
    services.floor_request(meeting=meeting, actor=torg.outsider, now=DURING)
    assert selectors.room_state(meeting, DURING)["guests"][0]["name"] == "卫路人"
    services.guest_admit(meeting=meeting, actor=torg.host, now=OPEN, name="外部专家")
    with pytest.raises(DomainError) as err:
        services.guest_admit(meeting=meeting, actor=torg.host, now=OPEN, person=torg.outsider)
    assert err.value.code == "already_admitted"
    with pytest.raises(DomainError) as err:
        services.guest_admit(meeting=meeting, actor=torg.host, now=OPEN, person=torg.tech_head)
    assert err.value.code == "invited"
    with pytest.raises(DomainError) as err:
        services.guest_admit(meeting=meeting, actor=torg.host, now=OPEN, name="  ")
    assert err.value.code == "required"
    with pytest.raises(Forbidden):
        services.guest_admit(meeting=meeting, actor=torg.recorder, now=OPEN, name="x")
    assert Guest.objects.count() == 2


# ---- pages -----------------------------------------------------------------------------------


def test_qr_landing_signs_the_phone_user_in(torg, meeting, login):
    room = services.room_for(meeting)
    url = reverse("live:signin", args=[meeting.pk, room.signin_token])
    client = login(torg.tech_head)
    with time_machine.travel(OPEN, tick=False):
        page = client.get(url)
        assert page.status_code == 200
        response = client.post(url)
    assert response.status_code == 302
    assert Attendance.objects.get(person=torg.tech_head).status == "late"
    with time_machine.travel(OPEN, tick=False):
        again = client.get(url)
    assert 'data-signin="done"' in again.content.decode()


def test_qr_landing_refuses_outsiders_and_wrong_codes(torg, meeting, login):
    room = services.room_for(meeting)
    client = login(torg.outsider)
    with time_machine.travel(OPEN, tick=False):
        page = client.get(reverse("live:signin", args=[meeting.pk, room.signin_token]))
        assert 'data-signin="not-invited"' in page.content.decode()
        response = client.post(reverse("live:signin", args=[meeting.pk, room.signin_token]))
        assert response.status_code == 403
        assert client.get(reverse("live:signin", args=[meeting.pk, "nope"])).status_code == 404
    assert not Attendance.objects.exists()


def test_qr_landing_needs_a_login(torg, meeting, client):
    room = services.room_for(meeting)
    response = client.get(reverse("live:signin", args=[meeting.pk, room.signin_token]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_qr_svg_for_the_host_and_the_projector_only(torg, meeting, login, client):
    url = reverse("live:signin_qr", args=[meeting.pk])
    assert client.get(url).status_code == 403
    assert client.get(url, {"p": tokens.projector_token(meeting.pk)}).status_code == 200
    assert client.get(url, {"p": tokens.projector_token(meeting.pk + 1)}).status_code == 403
    response = login(torg.host).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg") or b"<svg" in response.content[:200]
    assert login(torg.tech_head).get(url).status_code == 403


def test_desk_signs_in_and_admits_guests(torg, meeting, login):
    client = login(torg.host)
    with time_machine.travel(OPEN, tick=False):
        assert client.get(reverse("live:desk", args=[meeting.pk])).status_code == 200
        r = client.post(reverse("live:desk_signin", args=[meeting.pk]), {"person": torg.market_head.pk})
        assert r.status_code == 302
        r = client.post(reverse("live:desk_signin", args=[meeting.pk]), {"person": torg.outsider.pk})
        assert r.status_code == 400 and 'class="error" data-field="person"' in r.content.decode()
        r = client.post(reverse("live:guest_admit", args=[meeting.pk]), {"name": "外部专家", "note": "顾问"})
        assert r.status_code == 302
        r = client.post(reverse("live:guest_admit", args=[meeting.pk]), {"name": ""})
        assert r.status_code == 400
    assert Attendance.objects.filter(meeting=meeting).count() == 1
    assert list(Guest.objects.values_list("name", flat=True)) == ["外部专家"]


@pytest.mark.parametrize("who", ["tech_head", "outsider", "coordinator"])
def test_desk_is_for_the_recorder_and_host(torg, meeting, login, who):
    client = login(getattr(torg, who))
    assert client.get(reverse("live:desk", args=[meeting.pk])).status_code == 403
    r = client.post(reverse("live:desk_signin", args=[meeting.pk]), {"person": torg.market_head.pk})
    assert r.status_code == 403
    assert client.post(reverse("live:guest_admit", args=[meeting.pk]), {"name": "x"}).status_code == 403
    assert not Attendance.objects.exists() and not Guest.objects.exists()


def test_recorder_may_not_admit_guests_from_the_desk(torg, meeting, login):
    client = login(torg.recorder)
    assert client.get(reverse("live:desk", args=[meeting.pk])).status_code == 200
    assert client.post(reverse("live:guest_admit", args=[meeting.pk]), {"name": "x"}).status_code == 403


def test_speaking_report_per_department(torg, meeting, login):
    services.signin_self(meeting=meeting, actor=torg.tech_head, now=EARLY)
    services.room_open(meeting=meeting, actor=torg.host, now=OPEN)
    s = services.floor_request(meeting=meeting, actor=torg.tech_head, now=OPEN)
    services.floor_grant(meeting=meeting, speech=s, actor=torg.host, now=OPEN)
    services.speech_end(meeting=meeting, actor=torg.host, now=sh(2026, 3, 9, 9, 4, 5))
    page = login(torg.market_head).get(reverse("live:speaking", args=[meeting.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-department="技术部"' in body and 'data-seconds="125"' in body and "2:05" in body
    assert login(torg.outsider).get(reverse("live:speaking", args=[meeting.pk])).status_code == 404


def test_renewing_the_code_retires_the_old_one(torg, meeting, login):
    old = services.room_for(meeting).signin_token
    with pytest.raises(Forbidden):
        services.signin_code_renew(meeting=meeting, actor=torg.tech_head, now=EARLY)
    assert login(torg.tech_head).post(reverse("live:signin_code_renew", args=[meeting.pk])).status_code == 403
    assert login(torg.recorder).post(reverse("live:signin_code_renew", args=[meeting.pk])).status_code == 302
    new = services.room_for(meeting).signin_token
    assert new != old
    with pytest.raises(DomainError) as err:
        services.signin_self(meeting=meeting, actor=torg.tech_head, now=EARLY, token=old)
    assert err.value.code == "bad_token"
    services.signin_self(meeting=meeting, actor=torg.tech_head, now=EARLY, token=new)
