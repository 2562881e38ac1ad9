"""Robot addresses and signing secrets are credentials: encrypted in the database, never shown."""

from __future__ import annotations

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from xietong.core import crypto
from xietong.core.crypto import InvalidToken
from xietong.meetings.tests.factories import THU_1800
from xietong.notify.models import DepartmentRobot
from xietong.notify.services import robot_set
from xietong.org.models import Person

WECOM_KEY = "wecom-KEYMARK-0001-2222-abcd"
WECOM = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"
DING_TOKEN = "dingTOKENMARK5678"
DING = f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}"
DING_SECRET = "SEC" + "5ec0de" * 10
CREDENTIALS = (WECOM_KEY, DING_TOKEN, DING_SECRET, "KEYMARK", "TOKENMARK", "5ec0de")


def _robots(torg) -> tuple[DepartmentRobot, DepartmentRobot]:
    dept = torg.departments["tech"]
    wecom = robot_set(
        actor=torg.coordinator, now=THU_1800, department=dept, kind="wecom", webhook_url=WECOM, secret=""
    )
    ding = robot_set(
        actor=torg.coordinator,
        now=THU_1800,
        department=dept,
        kind="dingtalk",
        webhook_url=DING,
        secret=DING_SECRET,
    )
    return wecom, ding


def _raw_columns(pk: int) -> tuple[str, str]:
    table = connection.ops.quote_name(DepartmentRobot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT webhook_url, secret FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()


def test_credentials_are_encrypted_in_the_table_and_read_back_in_clear(torg):
    wecom, ding = _robots(torg)
    for robot in (wecom, ding):
        stored = " ".join(_raw_columns(robot.pk))
        assert not any(mark in stored for mark in CREDENTIALS)
        assert "dingtalk.com" not in stored and "weixin" not in stored
    ding = DepartmentRobot.objects.get(pk=ding.pk)
    assert (ding.webhook_url, ding.secret) == (DING, DING_SECRET)
    assert DepartmentRobot.objects.get(pk=wecom.pk).webhook_url == WECOM
    # Keeping the stored secret (an empty field on the robot page) still works.
    robot_set(
        actor=torg.coordinator,
        now=THU_1800,
        department=torg.departments["tech"],
        kind="dingtalk",
        webhook_url=DING + "9",
        secret="",
    )
    ding = DepartmentRobot.objects.get(pk=ding.pk)
    assert (ding.webhook_url, ding.secret) == (DING + "9", DING_SECRET)


def test_a_changed_ciphertext_fails_loudly(torg):
    _wecom, ding = _robots(torg)
    url, _secret = _raw_columns(ding.pk)
    middle = len(url) // 2
    altered = url[:middle] + ("A" if url[middle] != "A" else "B") + url[middle + 1 :]
    table = connection.ops.quote_name(DepartmentRobot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET webhook_url = %s WHERE id = %s", [altered, ding.pk])  # noqa: S608
    with pytest.raises(InvalidToken):
        DepartmentRobot.objects.get(pk=ding.pk)


def test_encrypted_columns_refuse_lookups_that_could_never_match(torg):
    _robots(torg)
    with pytest.raises(FieldError):
        DepartmentRobot.objects.filter(webhook_url=WECOM).exists()
    assert DepartmentRobot.objects.filter(secret__isnull=False).count() == 2


@pytest.fixture
def admin_client_(client, torg):
    root = Person.objects.create_superuser(username="root", password="Very-long-admin-1", full_name="管理员")
    client.force_login(root)
    return client


def test_admin_shows_robots_masked_and_never_their_credentials(admin_client_, torg):
    wecom, ding = _robots(torg)
    listing = admin_client_.get(reverse("admin:notify_departmentrobot_changelist"))
    assert listing.status_code == 200
    pages = [listing.content.decode()]
    for robot in (wecom, ding):
        response = admin_client_.get(reverse("admin:notify_departmentrobot_change", args=[robot.pk]))
        assert response.status_code == 200
        pages.append(response.content.decode())
    for page in pages:
        assert not any(mark in page for mark in CREDENTIALS)
    assert "https://oapi.dingtalk.com/robot/send" in pages[2]
    # No form field carries the address or the secret, so a save cannot change or leak them.
    assert 'name="webhook_url"' not in pages[2] and 'name="secret"' not in pages[2]
    response = admin_client_.post(
        reverse("admin:notify_departmentrobot_change", args=[ding.pk]),
        {"webhook_url": "https://evil.example/x", "secret": "SECevil", "is_active": ""},
    )
    assert response.status_code == 302
    ding = DepartmentRobot.objects.get(pk=ding.pk)
    assert (ding.webhook_url, ding.secret, ding.is_active) == (DING, DING_SECRET, False)
    # Robots are added on the department's page, where the address is validated and audited.
    assert admin_client_.get(reverse("admin:notify_departmentrobot_add")).status_code == 403
    assert DepartmentRobot.objects.count() == 2


def test_rotate_data_key_re_encrypts_under_the_first_key(torg, settings):
    old, new = crypto.generate_key(), crypto.generate_key()
    settings.DATA_KEYS = [old]
    _wecom, ding = _robots(torg)
    before = _raw_columns(ding.pk)
    settings.DATA_KEYS = [new, old]
    call_command("rotate_data_key", verbosity=0)
    assert _raw_columns(ding.pk) != before
    settings.DATA_KEYS = [new]
    ding = DepartmentRobot.objects.get(pk=ding.pk)
    assert (ding.webhook_url, ding.secret) == (DING, DING_SECRET)


@pytest.mark.django_db(transaction=True)
def test_migration_encrypts_existing_rows_and_reverses(torg):
    executor = MigrationExecutor(connection)
    plain, encrypted = [("notify", "0001_initial")], [("notify", "0002_encrypt_robot_credentials")]
    latest = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "notify"]
    executor.migrate(plain)
    old_apps = executor.loader.project_state(plain).apps
    old_apps.get_model("notify", "DepartmentRobot").objects.create(
        department_id=torg.departments["tech"].pk,
        kind="dingtalk",
        webhook_url=DING,
        secret=DING_SECRET,
        updated_at=THU_1800,
    )
    robot_pk = old_apps.get_model("notify", "DepartmentRobot").objects.get().pk
    assert _raw_columns(robot_pk) == (DING, DING_SECRET)

    executor = MigrationExecutor(connection)
    executor.migrate(encrypted)
    stored = " ".join(_raw_columns(robot_pk))
    assert not any(mark in stored for mark in CREDENTIALS)
    executor = MigrationExecutor(connection)
    executor.migrate(latest)  # the model as it is now reads what the migration wrote
    robot = DepartmentRobot.objects.get(pk=robot_pk)
    assert (robot.webhook_url, robot.secret) == (DING, DING_SECRET)

    executor = MigrationExecutor(connection)
    executor.migrate(plain)
    assert _raw_columns(robot_pk) == (DING, DING_SECRET)
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    assert DepartmentRobot.objects.get(pk=robot_pk).secret == DING_SECRET
