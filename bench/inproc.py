"""In-process timing of the benchmark's pages: no HTTP, no server, only the WSGI application.

    .venv/bin/python bench/inproc.py DB_DIR [--pages actions,home,agenda,archive] [--n 300]
                                            [--profile home] [--lang zh-hans]

DB_DIR is a directory `bench/run.py --keep` made (it holds xietong.sqlite3). Each page and
its bare page are called alternately through `WSGIHandler` with the persona's session cookie;
the medians and the ratio are printed. Steadier than HTTP on a busy machine and a guide for
where a page spends its time (`--profile NAME` prints the cProfile of that page). Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(db_dir: Path) -> None:
    os.environ.update(
        XIETONG_SQLITE_PATH=str(db_dir / "xietong.sqlite3"),
        XIETONG_VAR_DIR=str(db_dir),
        XIETONG_BENCH="1",
        DJANGO_SETTINGS_MODULE="xietong.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def personas() -> tuple[dict, dict]:
    """The benchmark's personas, each page with its bare page, and the personas' cookies (as a
    browser sends them: session and CSRF). Used by bench/run.py as well.

    The coordinator; an owner without department roles (so / and /actions/ show "mine") with,
    as near as the data allows, ten open items at every size (我的待办 then shows the same amount
    at 1x and 10x, and the 10x/1x ratio measures the data's growth, not a busier person); the
    newest held meeting; the current year's archive (the generator fills the last `--years`
    back from today, so this year holds the same meetings at 1x and 10x)."""
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from xietong.actions.models import ActionItem
    from xietong.meetings.models import Meeting
    from xietong.org.models import Person, Role

    coord = Person.objects.get(roles__role=Role.COORDINATOR)
    counts = (
        ActionItem.objects.filter(status__in=["open", "in_progress"], owner__roles__isnull=True)
        .values("owner")
        .annotate(n=Count("id"))
    )
    owner = Person.objects.get(pk=min(counts, key=lambda c: (abs(c["n"] - 10), c["owner"]))["owner"])
    meeting = Meeting.objects.filter(status="held").order_by("-starts_at").first()
    year = timezone.localdate().year
    paths = {
        "actions": ("coord", "/actions/", "/__bench__/actions/"),
        "home": ("owner", "/", "/__bench__/home/"),
        "agenda": ("coord", f"/meetings/{meeting.pk}/", f"/__bench__/agenda/{meeting.pk}/"),
        "archive": ("coord", f"/minutes/archive/?year={year}", f"/__bench__/archive/?year={year}"),
        # The product's frame (log-in, base.html, navigation) around nothing, next to the bare
        # action list: how much of a page's budget the frame alone takes.
        "chrome": ("coord", "/__bench__/chrome/", "/__bench__/actions/"),
        "hello": ("coord", "/__bench__/chrome/", "/__bench__/hello/"),
    }
    cookies = {}
    for who, person in (("coord", coord), ("owner", owner)):
        c = Client()
        c.force_login(person)
        c.get("/")  # as a browser: the CSRF cookie set on the first page is sent back after
        cookies[who] = f"sessionid={c.cookies['sessionid'].value}; csrftoken={c.cookies['csrftoken'].value}"
    return paths, cookies


def caller(cookie: str, lang: str):
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()

    def call(path: str) -> int:
        url, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": url,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": cookie,
            "HTTP_ACCEPT_LANGUAGE": lang,
            "wsgi.input": io.BytesIO(b""),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        status = []
        body = handler(environ, lambda s, h: status.append(s))
        size = sum(len(chunk) for chunk in body)
        if not status[0].startswith("200"):
            raise SystemExit(f"{path}: {status[0]}")
        return size

    return call


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db_dir", type=Path)
    ap.add_argument("--pages", default="actions,home,agenda,archive")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--profile")
    ap.add_argument("--lang", default="zh-hans")
    args = ap.parse_args()
    setup(args.db_dir)
    paths, cookies = personas()
    for name in args.pages.split(","):
        who, page, bare = paths[name]
        call = caller(cookies[who], args.lang)
        for _ in range(20):  # warm caches and compiled templates
            call(page)
            call(bare)
        if args.profile == name:
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.n):
                call(page)
            prof.disable()
            out = io.StringIO()
            stats = pstats.Stats(prof, stream=out).sort_stats("tottime")
            stats.print_stats(35)
            stats.sort_stats("cumulative").print_stats(45)
            print(out.getvalue())
            continue
        times = {"page": [], "bare": []}
        for _ in range(args.n):
            for kind, path in (("page", page), ("bare", bare)):
                t0 = time.perf_counter()
                call(path)
                times[kind].append(time.perf_counter() - t0)
        p, b = statistics.median(times["page"]) * 1000, statistics.median(times["bare"]) * 1000
        print(f"{name:<8} page {p:6.2f} ms  bare {b:6.2f} ms  ratio {p / b:4.2f}")


if __name__ == "__main__":
    main()
