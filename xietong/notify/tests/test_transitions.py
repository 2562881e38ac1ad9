"""The deliveries' transition table: the sender's and the coordinator's set-based steps move exactly
the rows whose state the table names for them, and leave every other row as it was."""

from __future__ import annotations

from datetime import datetime

import pytest

from xietong.notify import services
from xietong.notify.models import Channel, Delivery
from xietong.policy.calendar import SHANGHAI

pytestmark = pytest.mark.django_db

D = Delivery.State
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
EARLIER = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)


def _one_in_each_state(torg) -> dict[str, Delivery]:
    return {
        state: Delivery.objects.create(
            person=torg.tech_head,
            channel=Channel.EMAIL,
            state=state,
            next_attempt_at=EARLIER,
            created_at=EARLIER,
        )
        for state in D.values
    }


def _rows(deliveries: dict[str, Delivery]) -> dict[str, tuple]:
    return {
        state: tuple(
            Delivery.objects.filter(pk=d.pk)
            .values_list("state", "claim_token", "digest_id", "attempts")
            .get()
        )
        for state, d in deliveries.items()
    }


@pytest.mark.parametrize(
    ("action", "take"),
    [
        ("claim", lambda torg: services.notify_claim(now=NOW)),
        ("bundle", lambda torg: services.notify_digest(now=NOW)),
        ("retry", lambda torg: services.notify_retry(actor=torg.coordinator, now=NOW)),
    ],
)
def test_a_step_moves_only_the_rows_in_its_states(torg, action, take):
    deliveries = _one_in_each_state(torg)
    before = _rows(deliveries)
    take(torg)
    after = _rows(deliveries)
    moved = {state for state in D.values if after[state] != before[state]}
    assert moved == set(services.TRANSITIONS[action].states)


def test_the_states_the_table_names_are_the_models(torg):
    named = set().union(*(s.states for s in services.TRANSITIONS.values()))
    assert named == set(D.values) - {D.SENT}  # sent is final
