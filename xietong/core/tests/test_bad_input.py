"""Hostile input never gets a 5xx, and a refused request never changes the database.

One corpus of bad values (integers past 64 bits, non-canonical integers, NUL, broken
percent-encoding, very long text) goes to every route: in each path parameter, in every query
parameter the view reads (and the usual filter and cursor names), and in every field of the
route's form, as a plain employee, a liaison and the coordinator (each where it reaches most).

Which parameters a view reads is observed, not listed by hand: a middleware records the keys the
view takes from ``request.GET`` / ``request.POST`` (a Django form reads all its fields, valid or
not). Each value is first sent in every parameter at once; a parameter the view did not reach in
that request (it refused earlier) is then sent alone. Forms found on the pages are also posted
whole with one field replaced at a time, so a value that passes the form reaches the service too.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import lxml.html
import pytest
from django.apps import apps
from django.db import connection
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver

from xietong.actions.models import ActionItem
from xietong.agenda.models import AgendaItem
from xietong.live.services import room_for
from xietong.meetings.models import Rsvp
from xietong.meetings.tests.factories import published_meeting, sh
from xietong.minutes.services import minutes_draft
from xietong.notify.models import Message
from xietong.notify.services import notify_dispatch
from xietong.obligations.models import Obligation
from xietong.records.models import Decision
from xietong.records.tests.helpers import decide
from xietong.topics.models import Topic
from xietong.topics.tests.conftest import make_topic

PERSONAS = ("outsider", "tech_liaison", "coordinator")

BROKEN_UTF8 = "%ff%fe"  # sent as is: bytes that are not UTF-8
# (value as it goes on the wire, already percent-encoded)
CORPUS = tuple(
    v if v == BROKEN_UTF8 else quote(v, safe="")
    for v in (
        str(2**63),  # one past the largest 64-bit id
        "9" * 20,
        "9" * 40,
        "1_000",  # int() accepts it
        "1_" + "9" * 20,
        "-1",
        "0",
        "9" * 5000,
        "",
        "abc",
        "a\x00b",
        BROKEN_UTF8,
        "长" * 3000,
    )
)
# In a path the id converter is one pattern: one value of each kind it must refuse is enough.
PATH_CORPUS = tuple(quote(v, safe="") for v in (str(2**63), "9" * 5000, "0", "-1", "1_000", "a\x00b"))
# The values posted into an otherwise valid form, one field at a time.
SHARP = tuple(quote(v, safe="") for v in (str(2**63), "9" * 40, "1_" + "9" * 20, "a\x00b"))
# Filter and cursor names of the list pages, tried on every page whether the view reads them or not.
KNOWN_QUERY_NAMES = (
    "department",
    "meeting",
    "series",
    "after",
    "before",
    "cursor",
    "status",
    "page",
    "q",
    "owner",
    "year",
    "month",
    "week",
)
RECORDED = sh(2026, 3, 9, 11, 0)  # after the meeting, within the minutes deadline
SKIPPED_NAMESPACES = {"admin"}  # Django's own admin, open to staff only


# ---- what the view reads --------------------------------------------------------------------

_reads: set[str] = set()


class _RecordingQueryDict(QueryDict):
    def __getitem__(self, key):
        _reads.add(key)
        return super().__getitem__(key)

    def getlist(self, key, default=None):
        _reads.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        _reads.add(key)
        return super().__contains__(key)

    def lists(self):
        _reads.update(self.keys())
        return super().lists()


def _recording(data: QueryDict) -> QueryDict:
    copy = _RecordingQueryDict(mutable=True)
    for key, values in data.lists():
        copy.setlist(key, values)
    copy._mutable = False
    return copy


class RecordReads:
    """Test middleware: note every key the view reads from the query string or the form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _reads.clear()
        request.GET = _recording(request.GET)
        if request.method == "POST":
            request.POST = _recording(request.POST)
        return self.get_response(request)


# ---- the routes -----------------------------------------------------------------------------


def _routes():
    """(namespace, name, route text, {param: converter name}) for every product route."""

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                if ns in SKIPPED_NAMESPACES:
                    continue
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                converters = {k: type(c).__name__ for k, c in p.pattern.converters.items()}
                yield namespace, p.name, prefix + str(p.pattern), converters

    return list(walk(get_resolver().url_patterns, "", None))


def _url(route: str, kwargs: dict) -> str:
    url = route
    for name, value in kwargs.items():
        start = url.index("<")
        end = url.index(">", start)
        assert url[start:end].endswith(":" + name) or url[start:end] == "<" + name
        url = url[:start] + str(value) + url[end + 1 :]
    return "/" + url.lstrip("^")


# ---- the world --------------------------------------------------------------------------------


@pytest.fixture
def world(torg):
    """A published meeting with two topics, a decision with its action item, a minutes draft,
    a topic draft, duties and messages: a real object behind every kind of id."""
    meeting = published_meeting(torg, topics=2)
    decision = decide(torg, meeting)
    minutes = minutes_draft(meeting=meeting, actor=torg.recorder, now=RECORDED)
    draft = make_topic(torg)
    notify_dispatch(now=RECORDED)
    room_for(meeting)  # made on the first visit otherwise, which is not a change the check is after
    ids = {
        "meeting": meeting.pk,
        "agenda_item": AgendaItem.objects.filter(agenda__meeting=meeting).order_by("pk").first().pk,
        "decision": decision.pk,
        "action": ActionItem.objects.get(decision=decision).pk,
        "minutes": minutes.pk,
        "topic": draft.pk,
        "series": torg.series.pk,
        "person": torg.tech_liaison.pk,
        "department": torg.departments["tech"].pk,
        "rsvp": Rsvp.objects.filter(meeting=meeting).order_by("pk").first().pk,
        "obligation": Obligation.objects.order_by("pk").first().pk,
        "message": Message.objects.order_by("pk").first().pk,
        "policy_key": torg.policy.key,
        "policy_number": torg.policy.versions.order_by("number").first().number,
    }
    assert Decision.objects.filter(pk=decision.pk).exists() and Topic.objects.filter(pk=draft.pk).exists()
    return torg, ids


def _valid_kwargs(namespace, name, route, converters, ids) -> dict:
    """Real ids for the route's parameters (a missing object only costs coverage, not a failure)."""
    by_param = {
        "meeting_pk": ids["meeting"],
        "department_pk": ids["department"],
        "series_pk": ids["series"],
        "number": ids["policy_number"],
        "key": ids["policy_key"],
        "token": "x",
        "uidb64": "MQ",
        "vote_pk": 1,
        "meeting_id": ids["meeting"],
        "year": 2027,
        "action": "approve",
    }
    pk_by_place = {
        "agenda": ids["agenda_item"],
        "records:item": ids["agenda_item"],
        "records:approve": ids["decision"],
        "records:reject": ids["decision"],
        "records": ids["meeting"],
        "notify:read": ids["message"],
        "notify": 1,
        "actions": ids["action"],
        "org:person": ids["person"],
        "org": 1,
        "topics:attachment": 1,
        "topics:attachment_remove": 1,
        "topics": ids["topic"],
        "meetings:rsvp": ids["rsvp"],
        "meetings": ids["meeting"],
        "live": ids["meeting"],
        "minutes:meeting": ids["meeting"],
        "minutes:draft": ids["meeting"],
        "minutes:paste": ids["meeting"],
        "minutes": ids["minutes"],
        "obligations": ids["obligation"],
        "approvals": 1,
        "requests": 1,
    }
    kwargs = {}
    for param in converters:
        if param == "pk":
            kwargs[param] = pk_by_place.get(f"{namespace}:{name}", pk_by_place.get(namespace))
            assert kwargs[param] is not None, (namespace, name)
        else:
            kwargs[param] = by_param[param]
    return kwargs


# ---- the checks -----------------------------------------------------------------------------


def _row_counts() -> tuple:
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if not model._meta.proxy
        and model._meta.managed
        and model._meta.app_label not in {"sessions", "axes", "admin"}
    )
    sql = "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{t}")' for t in tables)  # noqa: S608 (our table names)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


class Probe:
    def __init__(self, client, person):
        self.client = client
        self.person = person
        self.failures: list[str] = []
        self.sent = 0
        self.counts = _row_counts()
        client.raise_request_exception = False
        client.force_login(person)

    def send(self, method: str, url: str, body: str | None = None, *, what: str = ""):
        """One request; returns (status, keys the view read, response)."""
        before = self.counts
        self.sent += 1
        if method == "GET":
            response = self.client.get(url)
        else:
            response = self.client.post(url, body or "", content_type="application/x-www-form-urlencoded")
        reads = set(_reads)
        self.counts = _row_counts()  # also the "before" of the next request
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {method} {url[:90]} {what[:60]}")
        elif response.status_code >= 400 and self.counts != before:
            self.failures.append(f"{response.status_code} with a DB change: {method} {url[:90]} {what[:60]}")
        if not url.startswith("/logout/") and "_auth_user_id" not in self.client.session:
            self.client.force_login(self.person)
        return response.status_code, reads, response


def _body(fields: dict[str, str]) -> str:
    return "&".join(f"{quote(k, safe='')}={v}" for k, v in fields.items())


@pytest.fixture
def probe(world, client, settings, request):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.RecordReads"]
    torg, ids = world
    return Probe(client, getattr(torg, request.param)), ids


def _product_routes():
    return [r for r in _routes() if r[0] != "admin"]


# ---- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("probe", PERSONAS, indirect=True)
def test_bad_path_parameters_never_get_a_5xx(probe):
    probe, ids = probe
    routes = [r for r in _product_routes() if r[3]]
    assert len(routes) > 70
    for namespace, name, route, converters in routes:
        valid = _valid_kwargs(namespace, name, route, converters, ids)
        for param in converters:
            for value in PATH_CORPUS:
                url = _url(route, {**valid, param: value})
                probe.send("GET", url, what=f"{param}={value[:30]}")
                if value.isdigit():  # anything else stops at the resolver, whatever the method
                    probe.send("POST", url, "_=1", what=f"{param}={value[:30]}")
    assert not probe.failures, f"{len(probe.failures)} of {probe.sent}:\n" + "\n".join(probe.failures)


@pytest.mark.parametrize("probe", ("outsider", "coordinator"), indirect=True)
def test_bad_query_parameters_never_get_a_5xx(probe):
    probe, ids = probe
    for namespace, name, route, converters in _product_routes():
        url = _url(route, _valid_kwargs(namespace, name, route, converters, ids))
        if url.startswith("/logout/"):
            continue
        status, read, _response = probe.send("GET", url + "?_=1")
        read.discard("_")
        if not read:
            continue  # the view never looks at its query string
        for value in CORPUS:
            every = dict.fromkeys(read | set(KNOWN_QUERY_NAMES), value)
            _status, reached, _r = probe.send("GET", url + "?" + _body(every))
            for missed in sorted(read - reached):
                probe.send("GET", f"{url}?{quote(missed, safe='')}={value}", what=missed)
        for name in sorted(read):  # alone, so no other bad value hides it behind a form error
            for value in SHARP:
                probe.send("GET", f"{url}?{quote(name, safe='')}={value}", what=name)
    assert not probe.failures, f"{len(probe.failures)} of {probe.sent}:\n" + "\n".join(probe.failures)


def _forms_on(response, page_url: str) -> dict[str, dict[str, str]]:
    """The POST forms of a page: {action path: {field: current value, already encoded}}."""
    if "html" not in response.get("Content-Type", "") or not response.content.strip():
        return {}
    forms = {}
    for form in lxml.html.fromstring(response.content).forms:
        if (form.method or "GET").upper() != "POST":
            continue
        action = urlsplit(form.action or page_url).path or page_url
        fields = {}
        for key, value in form.form_values():
            fields[key] = quote(str(value), safe="")
        for element in form.inputs:
            name = element.get("name")
            if name and name not in fields and element.tag == "select":
                options = element.value_options
                fields[name] = quote(options[-1], safe="") if options else ""
        fields.pop("csrfmiddlewaretoken", None)
        forms[action] = fields
    return forms


@pytest.mark.parametrize("probe", ("tech_liaison", "coordinator"), indirect=True)
def test_bad_form_values_never_get_a_5xx(probe):
    probe, ids = probe
    routes = []
    forms: dict[str, dict[str, str]] = {}
    for namespace, name, route, converters in _product_routes():
        url = _url(route, _valid_kwargs(namespace, name, route, converters, ids))
        routes.append(url)
        if not url.startswith("/logout/"):
            status, _read, response = probe.send("GET", url)
            if status == 200:
                forms.update(_forms_on(response, url))
    assert forms, "the pages show no form to post"
    for url in routes:
        if url.startswith("/logout/"):
            continue
        status, read, _response = probe.send("POST", url, "_=1")
        fields = read - {"_"}
        if status == 405 or not fields:
            continue
        for value in CORPUS:
            _status, reached, _r = probe.send(
                "POST", url, _body(dict.fromkeys(fields, value)), what=value[:20]
            )
            for missed in sorted(fields - reached):
                probe.send("POST", url, _body({missed: value}), what=missed)
        whole = forms.get(url)
        if whole:
            for field in sorted(fields | set(whole)):
                for value in SHARP:
                    probe.send("POST", url, _body({**whole, field: value}), what=f"{field}={value[:20]}")
    assert not probe.failures, f"{len(probe.failures)} of {probe.sent}:\n" + "\n".join(probe.failures)
