"""A notification worker in its own process, for the multi-process tests (not a test module).

Usage: python -m xietong.notify.tests.worker_proc dispatch|deliver|huey <now ISO>; prints the
outcome totals as JSON. The parent test points it at a file copy of the test database.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime


def make_huey(name: str):
    from huey import RedisHuey

    from xietong.notify.services import notify_deliver

    huey = RedisHuey(name=name, url="redis://127.0.0.1:6379/0")

    @huey.task()
    def deliver_some(now_iso: str):
        return notify_deliver(now=datetime.fromisoformat(now_iso), limit=2)

    return huey, deliver_some


def _add(totals: dict, outcome: dict) -> None:
    for key, value in outcome.items():
        totals[key] = totals.get(key, 0) + value


def main() -> None:
    import django

    django.setup()
    from xietong.notify.services import notify_deliver, notify_dispatch

    mode, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    totals: dict = {}
    if mode == "dispatch":
        while count := notify_dispatch(now=now, batch=1):
            _add(totals, {"events": count})
    elif mode == "deliver":
        idle = 0
        while idle < 3:
            outcome = notify_deliver(now=now, limit=2)
            _add(totals, outcome)
            idle = 0 if outcome else idle + 1
    elif mode == "huey":
        # Imported by its module name (not __main__) so task names match the parent's.
        from xietong.notify.tests.worker_proc import make_huey as registered

        huey, _task = registered(os.environ["XIETONG_TEST_HUEY"])
        while (task := huey.dequeue()) is not None:
            _add(totals, huey.execute(task) or {})
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
