"""The admin is configuration only, but its pages must open (custom user model, read-only versions)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xietong.org.models import Delegation, Department, Organization, Person, RoleAssignment
from xietong.policy.models import PolicyVersion


@pytest.fixture
def admin_client_(client, torg):
    root = Person.objects.create_superuser(username="root", password="Very-long-admin-1", full_name="管理员")
    client.force_login(root)
    return client


@pytest.mark.parametrize("model", [Department, Person, RoleAssignment, Delegation, Organization])
def test_org_admin_pages_open(admin_client_, torg, model):
    opts = model._meta
    assert (
        admin_client_.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    )
    assert admin_client_.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200


def test_person_change_page_has_role_inline(admin_client_, torg):
    response = admin_client_.get(reverse("admin:org_person_change", args=[torg.tech_head.pk]))
    assert response.status_code == 200
    assert "roles-TOTAL_FORMS" in response.content.decode()


def test_admin_adds_a_person_with_a_password(admin_client_, torg):
    response = admin_client_.post(
        reverse("admin:org_person_add"),
        {
            "username": "newbie",
            "full_name": "新同事",
            "department": torg.departments["tech"].pk,
            "mobile": "13700000000",
            "usable_password": "true",
            "password1": "Xt-new-pass-2026",
            "password2": "Xt-new-pass-2026",
            "roles-TOTAL_FORMS": "0",
            "roles-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    newbie = Person.objects.get(username="newbie")
    assert newbie.check_password("Xt-new-pass-2026") and newbie.password.startswith("argon2")


def test_policy_admin_shows_versions_read_only(admin_client_, torg):
    response = admin_client_.get(reverse("admin:policy_policy_change", args=[torg.policy.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="versions-0-reason"' not in page  # read-only: shown, not editable
    assert PolicyVersion.objects.get(policy=torg.policy).reason in page
