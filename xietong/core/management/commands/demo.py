"""``xietong demo``: load a believable demo organisation into an empty database.

Everything a user would do through the product goes through the real services: the
roster (departments, people, roles) is imported as a CSV file by ``roster_import``, the
two regulations are installed from their presets, the delegation is made by
``delegation_create``, the next meeting is scheduled by the meetings services. Only what
an installer does by hand before anyone can log in is written directly: the organisation's
name, the administrator account, the demo password and the weekly meeting series.

Run twice, it does nothing the second time (it only loads into a database without
departments or people).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from xietong.meetings.models import MeetingSeries
from xietong.org.models import Department, Organization, Person
from xietong.policy.calendar import as_shanghai
from xietong.policy.services import policy_install_preset

DEMO_PASSWORD = "xietong-demo-2026"
ORG_NAME = "华信精密制造有限公司"
ADMIN_LOGIN = "admin"
EMAIL_DOMAIN = "huaxin.example.com"
SERIES_NAME = "跨科室周例会"
SERIES_PLACE = "三楼第一会议室"
WEEKLY_PRESET = "seed01-weekly"
PRESETS = ("seed01-weekly", "seed02-coordination")


@dataclass(frozen=True)
class DemoPerson:
    login: str
    name: str
    department: str
    title: str
    roles: str = ""  # role words as in a roster file (org.roster.ROLE_NAMES), 、-separated


# Departments as (name, parent): 15 units, two of them grouping others.
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("办公室", ""),
    ("人力资源部", ""),
    ("财务部", ""),
    ("技术中心", ""),
    ("研发一部", "技术中心"),
    ("研发二部", "技术中心"),
    ("测试部", "技术中心"),
    ("信息运维部", "技术中心"),
    ("营销中心", ""),
    ("市场部", "营销中心"),
    ("销售部", "营销中心"),
    ("客户服务部", "营销中心"),
    ("生产部", ""),
    ("采购部", ""),
    ("质量管理部", ""),
)

# Seed 01 第四条: the general manager chairs the leadership group, the vice general managers
# are vice-chairs, every department head is a member; the head of the office is the
# coordinator (执行小组组长); host, recorder and one liaison per department form the
# executive group. Seed 04's coordination committee is three senior people.
HEAD = "科室负责人、领导小组成员"
PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("zhangjianguo", "张建国", "办公室", "总经理", "领导小组组长"),
    DemoPerson("lihuimin", "李慧敏", "办公室", "副总经理（分管运营）", "领导小组副组长、协调委员会"),
    DemoPerson("wangzhiqiang", "王志强", "办公室", "副总经理（分管技术）", "领导小组副组长"),
    DemoPerson("chenjing", "陈静", "办公室", "办公室主任", f"{HEAD}、执行小组组长"),
    DemoPerson("liuyang", "刘洋", "办公室", "办公室副主任", "副职、主持人"),
    DemoPerson("zhaoxue", "赵雪", "办公室", "行政秘书", "记录员"),
    DemoPerson("sunli", "孙丽", "办公室", "行政专员", "联络员"),
    DemoPerson("zhoumin", "周敏", "人力资源部", "人力资源部经理", f"{HEAD}、协调委员会"),
    DemoPerson("wuting", "吴婷", "人力资源部", "招聘主管", "联络员"),
    DemoPerson("zhenghua", "郑华", "财务部", "财务部经理", HEAD),
    DemoPerson("fenglei", "冯磊", "财务部", "财务部副经理", "副职"),
    DemoPerson("chuyan", "褚燕", "财务部", "会计主管", "联络员"),
    DemoPerson("weidong", "卫东", "技术中心", "技术中心主任", HEAD),
    DemoPerson("jiangtao", "蒋涛", "技术中心", "技术中心副主任", "副职"),
    DemoPerson("shenjie", "沈洁", "技术中心", "技术管理专员", "联络员"),
    DemoPerson("hanbing", "韩冰", "研发一部", "研发一部经理", HEAD),
    DemoPerson("yangfan", "杨帆", "研发一部", "研发一部副经理", "副职"),
    DemoPerson("zhuwenbo", "朱文博", "研发一部", "高级工程师", "联络员"),
    DemoPerson("qinyu", "秦宇", "研发二部", "研发二部经理", HEAD),
    DemoPerson("xuqian", "许倩", "研发二部", "项目经理", "联络员"),
    DemoPerson("heping", "何平", "测试部", "测试部经理", HEAD),
    DemoPerson("lvxiaoxiao", "吕潇潇", "测试部", "测试主管", "联络员"),
    DemoPerson("shigang", "施刚", "信息运维部", "信息运维部经理", HEAD),
    DemoPerson("zhangyu", "章宇", "信息运维部", "系统管理员", "联络员"),
    DemoPerson("kongfanyu", "孔繁宇", "营销中心", "营销中心总监", f"{HEAD}、协调委员会"),
    DemoPerson("caoying", "曹颖", "营销中心", "营销中心副总监", "副职"),
    DemoPerson("yanmei", "严梅", "营销中心", "营销管理专员", "联络员"),
    DemoPerson("huajian", "华健", "市场部", "市场部经理", HEAD),
    DemoPerson("jinxin", "金鑫", "市场部", "品牌主管", "联络员"),
    DemoPerson("weiqiang", "魏强", "销售部", "销售部经理", HEAD),
    DemoPerson("taoran", "陶然", "销售部", "大客户经理", "联络员"),
    DemoPerson("jiangli", "姜丽", "客户服务部", "客户服务部经理", HEAD),
    DemoPerson("qiyue", "戚悦", "客户服务部", "客服主管", "联络员"),
    DemoPerson("xiejun", "谢军", "生产部", "生产部经理", HEAD),
    DemoPerson("zouming", "邹明", "生产部", "生产部副经理", "副职"),
    DemoPerson("yuhai", "喻海", "生产部", "生产计划员", "联络员"),
    DemoPerson("baixue", "柏雪", "采购部", "采购部经理", HEAD),
    DemoPerson("shuihong", "水红", "采购部", "采购专员", "联络员"),
    DemoPerson("douwei", "窦伟", "质量管理部", "质量管理部经理", HEAD),
    DemoPerson("zhangqi", "章琪", "质量管理部", "质量管理部副经理", "副职"),
    DemoPerson("yunfei", "云飞", "质量管理部", "质量工程师", "联络员"),
    DemoPerson("suxiaoyan", "苏晓燕", "人力资源部", "培训专员"),
    DemoPerson("panwei", "潘伟", "研发二部", "软件工程师"),
    DemoPerson("gehui", "葛慧", "销售部", "销售代表"),
)

# (principal, delegate, days from today, length in days, reason)
DELEGATIONS = (("xiejun", "zouming", 0, 14, "赴外地供应商现场审核，期间由副经理代为参会"),)

# The login table printed at the end: (what the account shows, login).
SHOWCASE = (
    ("领导小组组长（总经理）", "zhangjianguo"),
    ("领导小组副组长 · 协调委员会", "lihuimin"),
    ("执行小组组长（办公室主任）", "chenjing"),
    ("主持人", "liuyang"),
    ("记录员", "zhaoxue"),
    ("科室负责人（技术中心）", "weidong"),
    ("副职（研发一部）", "yangfan"),
    ("协作联络员（研发一部）", "zhuwenbo"),
    ("协作联络员（市场部）", "jinxin"),
    ("受委托代参会（生产部副经理）", "zouming"),
    ("普通员工（无角色）", "panwei"),
    ("系统管理员（后台 /admin/）", ADMIN_LOGIN),
)


def roster_csv() -> bytes:
    """The demo roster as the CSV file an office would upload (UTF-8 with BOM, as Excel writes it)."""
    parents = dict(DEPARTMENTS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["部门", "上级部门", "姓名", "职务", "手机", "邮箱", "角色", "账号"])
    for number, person in enumerate(PEOPLE, start=1):
        writer.writerow(
            [
                person.department,
                parents[person.department],
                person.name,
                person.title,
                f"1390571{number:04d}",
                f"{person.login}@{EMAIL_DOMAIN}",
                person.roles,
                person.login,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "Load the demo organisation (only into an empty database) and print the demo logins."

    def handle(self, *args, **options):
        if Department.objects.exists() or Person.objects.exists():
            if Person.objects.filter(username=ADMIN_LOGIN, email=f"{ADMIN_LOGIN}@{EMAIL_DOMAIN}").exists():
                self.stdout.write("The demo organisation is already loaded; nothing to do.")
                self.print_logins()
            else:
                self.stdout.write("The database already holds an organisation; the demo is not loaded.")
            return
        now = timezone.now()
        with transaction.atomic():
            self.load(now=now)
        self.stdout.write(self.style.SUCCESS(f"Loaded the demo organisation “{ORG_NAME}”."))
        self.print_logins()

    def load(self, *, now) -> None:
        from xietong.org.services import delegation_create, roster_import

        org = Organization.objects.order_by("pk").first() or Organization(name=ORG_NAME)
        org.name = ORG_NAME
        org.save()
        admin = Person.objects.create_superuser(
            username=ADMIN_LOGIN,
            email=f"{ADMIN_LOGIN}@{EMAIL_DOMAIN}",
            password=DEMO_PASSWORD,
            full_name="系统管理员",
        )
        policies = {preset: policy_install_preset(name=preset, now=now, actor=admin) for preset in PRESETS}

        report = roster_import(file_bytes=roster_csv(), filename="演示花名册.csv", actor=admin, now=now)
        if not report.saved:
            problems = "\n".join(f"row {p.row} {p.column}: {p.message}" for p in report.problems)
            raise CommandError(f"The demo roster was refused:\n{problems}")
        # One shared demo password. Hashing it once and reusing the hash keeps the command
        # fast (Argon2 is deliberately slow); the password is printed for everyone anyway.
        Person.objects.filter(username__in=[p.login for p in PEOPLE]).update(password=admin.password)

        people = {p.username: p for p in Person.objects.all()}
        weekly = policies[WEEKLY_PRESET]
        series = MeetingSeries.objects.create(
            name=SERIES_NAME,
            policy=weekly,
            rrule="FREQ=WEEKLY;BYDAY=MO",
            start_time=time(9, 0),
            duration_minutes=weekly.current_version().rules.minutes("meeting_duration_cap"),
            location=SERIES_PLACE,
            host=people["liuyang"],
            recorder=people["zhaoxue"],
            invite_all_heads=True,
            invite_leadership=False,
        )

        today = as_shanghai(now).date()
        for principal, delegate, offset, length, reason in DELEGATIONS:
            delegation_create(
                principal=people[principal],
                delegate=people[delegate],
                starts_on=today + timedelta(days=offset),
                ends_on=today + timedelta(days=offset + length - 1),
                reason=reason,
                actor=people[principal],
                now=now,
            )

        from xietong.meetings.services import series_next_meeting

        series_next_meeting(series=series, now=now, actor=people["chenjing"])

    def print_logins(self) -> None:
        names = dict(
            Person.objects.filter(username__in=[login for _, login in SHOWCASE]).values_list(
                "username", "full_name"
            )
        )
        rows = [("角色 / Role", "账号 / Login", "姓名 / Name")]
        rows += [(label, login, names.get(login, "")) for label, login in SHOWCASE]
        widths = [max(_width(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("")
        self.stdout.write("Demo logins (every account):")
        for row in rows:
            self.stdout.write("  " + "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
        self.stdout.write(
            f"The other {len(PEOPLE) - len(SHOWCASE) + 1} people of the roster log in the same way (login = pinyin of the name)."
        )
