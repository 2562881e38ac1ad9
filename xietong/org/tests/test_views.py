"""Organisation pages: rendering, query counts, the permission matrix of every mutating view."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xietong.core.models import Event
from xietong.desk.testing import make_person
from xietong.org import services
from xietong.org.models import Delegation, Department, Person, Role
from xietong.org.tests.htmlbits import field_errors, has_form_field, section
from xietong.org.tests.rosterfiles import BASIC, csv_bytes
from xietong.policy.calendar import SHANGHAI

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()
PERSONAS = ["coordinator", "tech_head", "tech_liaison", "outsider", "chair"]


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def state():
    return (
        Person.objects.count(),
        Department.objects.count(),
        sorted(Delegation.objects.values_list("pk", flat=True)),
        Event.objects.count(),
    )


# ---- reading pages ----------------------------------------------------------------------


def test_pages_need_login(client, torg):
    for name in ["org:departments", "org:people", "org:delegations", "org:import"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_departments_tree_shows_heads_and_liaisons(login, torg, en):
    Department.objects.create(name="前端组", parent=torg.departments["tech"], sort_order=9)
    client = login(torg.outsider)
    response = client.get(reverse("org:departments"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "周技术" in html and "吴联络" in html and "郑副职" in html
    # The child comes right after its parent, indented one level.
    assert html.index("技术部") < html.index("前端组") < html.index("市场部")
    assert 'data-depth="1"' in html


def test_departments_query_count_does_not_grow(login, torg, django_assert_num_queries):
    client = login(torg.outsider)
    url = reverse("org:departments")
    first = count_queries(client, url)
    for i in range(15):
        parent = Department.objects.create(
            name=f"部门{i}", parent=torg.departments["tech"], sort_order=10 + i
        )
        child = Department.objects.create(name=f"小组{i}", parent=parent)
        make_person(f"head{i}", f"负责人{i}", child, Role.HEAD, Role.LIAISON)
    assert count_queries(client, url) == first
    with django_assert_num_queries(5):  # roles_of is one query
        client.get(url)


def test_people_page_paginates_by_name_and_id(login, torg, en):
    office = torg.departments["office"]
    for i in range(60):
        make_person(f"p{i:02d}", "同名", office)
    client = login(torg.outsider)
    seen: list[int] = []
    url = reverse("org:people") + f"?department={office.pk}"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        people = [int(pk) for pk in re.findall(r'href="/org/people/(\d+)/"', section(page, "people"))]
        assert len(people) <= 50
        seen += people
        nxt = re.search(r'rel="next" href="([^"]+)"', page)
        url = html.unescape(nxt.group(1)) if nxt else None
        pages += 1
    office_people = list(
        Person.objects.filter(department=office).order_by("full_name", "id").values_list("pk", flat=True)
    )
    assert seen == office_people and len(seen) == 64
    assert pages == 2


def test_people_page_bad_cursor_starts_over(login, torg):
    response = login(torg.outsider).get(reverse("org:people") + "?after=%%%garbage&department=x")
    assert response.status_code == 200
    shown = re.findall(r'href="/org/people/(\d+)/"', section(response.content.decode(), "people"))
    assert len(shown) == Person.objects.count()


def test_people_query_count_does_not_grow(login, torg, django_assert_num_queries):
    client = login(torg.outsider)
    url = reverse("org:people")
    first = count_queries(client, url)
    for i in range(80):
        make_person(f"x{i}", f"员工{i}", torg.departments["market"], Role.LIAISON)
    assert count_queries(client, url) == first
    after = url + "?after=" + services_cursor()
    with django_assert_num_queries(6):  # roles_of is one query
        assert client.get(after).status_code == 200


def services_cursor() -> str:
    from xietong.org.selectors import encode_cursor

    return encode_cursor(Person.objects.order_by("full_name", "id").first())


def test_person_detail(login, torg, en):
    services.delegation_create(
        principal=torg.tech_head,
        delegate=torg.tech_deputy,
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=2),
        reason="出差",
        actor=torg.tech_head,
        now=NOW,
    )
    response = login(torg.outsider).get(reverse("org:person", args=[torg.tech_head.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "技术部" in html and "技术部经理" in html and "tech_head@example.cn" in html
    assert torg.tech_head.mobile not in html  # another department's head: not the outsider's to read
    assert "Department head" in html and "郑副职" in html and "出差" in html
    response = login(torg.outsider).get(reverse("org:person", args=[torg.tech_deputy.pk]))
    assert "Acts for:" in response.content.decode() and "周技术" in response.content.decode()
    assert login(torg.outsider).get(reverse("org:person", args=[999999])).status_code == 404


def test_user_text_is_escaped(login, torg):
    Department.objects.create(name="<script>x</script>")
    html = login(torg.outsider).get(reverse("org:departments")).content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html


# ---- delegations ------------------------------------------------------------------------


def post_delegation(client, **data):
    return client.post(reverse("org:delegation_create"), data)


def delegation_data(torg, *, principal=None, delegate=None, start=TODAY, end=TODAY + timedelta(days=3)):
    data = {
        "delegate": (delegate or torg.tech_deputy).pk,
        "starts_on": start.isoformat(),
        "ends_on": end.isoformat(),
        "reason": "培训",
    }
    if principal is not None:
        data["principal"] = principal.pk
    return data


def test_delegation_create_get_is_405(login, torg):
    assert login(torg.coordinator).get(reverse("org:delegation_create")).status_code == 405


@pytest.mark.parametrize(
    "persona,expected",
    [("coordinator", 302), ("tech_head", 302), ("tech_liaison", 403), ("outsider", 403), ("chair", 403)],
)
def test_delegation_create_matrix(login, torg, persona, expected):
    actor = getattr(torg, persona)
    client = login(actor)
    # The coordinator names the principal; a head delegates their own roles.
    data = delegation_data(torg, principal=torg.tech_head if persona == "coordinator" else None)
    before = state()
    response = post_delegation(client, **data)
    assert response.status_code == expected
    if expected == 302:
        d = Delegation.objects.get()
        assert (d.principal, d.delegate) == (torg.tech_head, torg.tech_deputy)
    else:
        assert state() == before


def test_delegation_form_field_errors(login, torg, en):
    client = login(torg.tech_head)
    response = post_delegation(client, **delegation_data(torg, start=TODAY + timedelta(days=3), end=TODAY))
    assert response.status_code == 200
    assert field_errors(response.content.decode(), "ends_on") == ["The end must not be before the start."]
    # A head may pick only their own deputy or liaison.
    response = post_delegation(client, **delegation_data(torg, delegate=torg.market_liaison))
    assert field_errors(response.content.decode(), "delegate")
    # The service's refusal lands on its field too.
    response = post_delegation(
        client, **delegation_data(torg, start=TODAY - timedelta(days=9), end=TODAY - timedelta(days=2))
    )
    assert field_errors(response.content.decode(), "ends_on") == ["This period is already over."]
    assert not Delegation.objects.exists()


def test_coordinator_self_delegation_refused_on_field(login, torg, en):
    client = login(torg.coordinator)
    response = post_delegation(
        client, **delegation_data(torg, principal=torg.tech_head, delegate=torg.tech_head)
    )
    assert response.status_code == 200
    assert field_errors(response.content.decode(), "delegate") == ["A person cannot delegate to themselves."]
    assert not Delegation.objects.exists()


def test_delegations_page_shows_form_only_to_those_who_may_delegate(login, torg):
    page = login(torg.coordinator).get(reverse("org:delegations")).content.decode()
    assert has_form_field(page, "principal") and has_form_field(page, "delegate")
    page = login(torg.tech_head).get(reverse("org:delegations")).content.decode()
    assert not has_form_field(page, "principal")
    options = set(map(int, re.findall(r'<option value="(\d+)"', section(page, "id_delegate"))))
    assert options == {torg.tech_deputy.pk, torg.tech_liaison.pk}
    page = login(torg.outsider).get(reverse("org:delegations")).content.decode()
    assert not has_form_field(page, "delegate") and 'id="new-delegation"' not in page


def make_delegation(torg):
    return services.delegation_create(
        principal=torg.tech_head,
        delegate=torg.tech_deputy,
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=2),
        actor=torg.tech_head,
        now=NOW,
    )


@pytest.mark.parametrize(
    "persona,expected",
    [("coordinator", 302), ("tech_head", 302), ("tech_liaison", 403), ("outsider", 403), ("chair", 403)],
)
def test_delegation_revoke_matrix(login, torg, persona, expected):
    d = make_delegation(torg)
    before = state()
    response = login(getattr(torg, persona)).post(reverse("org:delegation_revoke", args=[d.pk]))
    assert response.status_code == expected
    if expected == 302:
        assert not Delegation.objects.filter(pk=d.pk).exists()
        assert Event.objects.filter(name="delegation.revoked").count() == 1
    else:
        assert state() == before


def test_delegation_revoke_get_is_405(login, torg):
    d = make_delegation(torg)
    assert login(torg.coordinator).get(reverse("org:delegation_revoke", args=[d.pk])).status_code == 405
    assert Delegation.objects.filter(pk=d.pk).exists()


def test_delegations_list(login, torg):
    make_delegation(torg)
    html = login(torg.outsider).get(reverse("org:delegations")).content.decode()
    assert "周技术" in html and "郑副职" in html
    assert "delegation_revoke" not in html and "/revoke/" not in html  # outsider sees no revoke button


# ---- roster import ----------------------------------------------------------------------


def upload(data: bytes, name="roster.csv"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.parametrize("persona", PERSONAS)
def test_import_matrix(login, torg, persona):
    client = login(getattr(torg, persona))
    before = state()
    get = client.get(reverse("org:import"))
    response = client.post(reverse("org:import"), {"file": upload(csv_bytes(BASIC)), "mode": "import"})
    if persona == "coordinator":
        assert get.status_code == 200
        assert response.status_code == 200
        assert 'data-count="people_created">4<' in response.content.decode()
        assert Person.objects.count() == before[0] + 4
    else:
        assert get.status_code == 403
        assert response.status_code == 403
        assert state() == before


def test_import_check_only_then_import(login, torg, en):
    client = login(torg.coordinator)
    before = state()
    response = client.post(reverse("org:import"), {"file": upload(csv_bytes(BASIC)), "mode": "check"})
    page = response.content.decode()
    assert "Check passed" in page and 'data-count="people_created">4<' in page
    assert state() == before
    response = client.post(reverse("org:import"), {"file": upload(csv_bytes(BASIC)), "mode": "import"})
    assert "Imported" in response.content.decode()
    assert Person.objects.count() == before[0] + 4
    response = client.post(reverse("org:import"), {"file": upload(csv_bytes(BASIC)), "mode": "import"})
    page = response.content.decode()
    assert 'data-count="people_created">0<' in page and 'data-count="people_updated">0<' in page


def test_import_problems_are_listed(login, torg, en):
    rows = [["软件部", "", "", "", "123", "", ""]]
    response = login(torg.coordinator).post(
        reverse("org:import"), {"file": upload(csv_bytes(rows)), "mode": "import"}
    )
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert "The name is missing." in html and "11 digits" in html
    assert not Department.objects.filter(name="软件部").exists()


def test_import_wrong_file_type_is_a_field_error(login, torg, en):
    response = login(torg.coordinator).post(
        reverse("org:import"), {"file": upload(b"x", "roster.txt"), "mode": "import"}
    )
    assert response.status_code == 200
    assert field_errors(response.content.decode(), "file") == [
        "Upload an Excel workbook (.xlsx) or a CSV file (.csv)."
    ]
    assert 'id="report"' not in response.content.decode()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("roster.xlsx", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56),
        ("roster.csv", b"<html><body><script>alert(1)</script></body></html>"),
        ("roster.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ],
)
def test_import_content_of_another_kind_is_a_field_error(login, torg, en, name, content):
    before = state()
    response = login(torg.coordinator).post(
        reverse("org:import"), {"file": upload(content, name), "mode": "import"}
    )
    assert response.status_code == 200
    ext = name[name.rfind(".") :]
    assert field_errors(response.content.decode(), "file") == [
        f"The content of “{name}” does not match its extension {ext}; it cannot be uploaded."
    ]
    assert 'id="report"' not in response.content.decode()
    assert state() == before


def test_import_template_download(login, torg):
    response = login(torg.coordinator).get(reverse("org:import_template"))
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").startswith("部门,上级部门,姓名")
    assert login(torg.outsider).get(reverse("org:import_template")).status_code == 403


def test_imported_person_cannot_log_in_until_password_set(client, torg):
    services.roster_import(file_bytes=csv_bytes(BASIC), filename="r.csv", actor=torg.coordinator, now=NOW)
    response = client.post("/login/", {"username": "13800000002", "password": ""}, REMOTE_ADDR="10.0.0.9")
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_date_inputs_are_html5(login, torg):
    html = login(torg.tech_head).get(reverse("org:delegations")).content.decode()
    assert 'type="date"' in html  # the phone's own date picker
