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

from xietong.agenda.services import agenda_build, agenda_confirm
from xietong.core.errors import DomainError
from xietong.desk.demo_story import load_present
from xietong.meetings.models import Meeting, MeetingSeries, Rsvp
from xietong.meetings.recurrence import series_occurrences
from xietong.meetings.services import meeting_publish, rsvp_answer
from xietong.obligations.services import obligations_mark_breached
from xietong.org.models import Department, Organization, Person, Role
from xietong.org.permissions import holders
from xietong.policy.calendar import as_shanghai
from xietong.policy.selectors import business_calendar
from xietong.policy.services import policy_install_preset
from xietong.topics import services as topics
from xietong.topics.models import Topic

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


# Seed 03 四、(一) leaves its amounts blank ("X万元以下由部门负责人审批，X万元以上需财务部参与"):
# the demo organisation fills them in — finance from 1 万元, the CEO (总经理) from 5 万元.
APPROVAL_PRESET = "seed03-activity"
APPROVAL_AMOUNTS = {"finance": 10_000, "ceo": 50_000}


def load_approvals(*, coordinator, now) -> None:
    """Seed 03's regulation with its amounts filled in, and the equipment purchase template
    (部门负责人 → 财务部 → CEO by amount)."""
    from xietong.approvals.bundled import bundled_template, fill_thresholds
    from xietong.approvals.services import template_create

    policy = policy_install_preset(name=APPROVAL_PRESET, now=now, actor=coordinator)
    fill_thresholds(policy, actor=coordinator, now=now, **APPROVAL_AMOUNTS)
    template_create(
        actor=coordinator,
        now=now,
        key="equipment-purchase",
        name="设备采购审批",
        policy=policy,
        text=bundled_template("equipment-purchase"),
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
            self.fill_inboxes(now=now)
        self.stdout.write(self.style.SUCCESS(f"Loaded the demo organisation “{ORG_NAME}”."))
        self.print_logins()

    def load(self, *, now) -> None:
        from xietong.meetings.services import series_next_meeting
        from xietong.org.services import delegation_create, roster_import

        # The organisation was set up before the weeks of history below.
        origin = now - timedelta(weeks=5)

        org = Organization.objects.order_by("pk").first() or Organization(name=ORG_NAME)
        org.name = ORG_NAME
        org.save()
        admin = Person.objects.create_superuser(
            username=ADMIN_LOGIN,
            email=f"{ADMIN_LOGIN}@{EMAIL_DOMAIN}",
            password=DEMO_PASSWORD,
            full_name="系统管理员",
        )
        policies = {preset: policy_install_preset(name=preset, now=origin, actor=admin) for preset in PRESETS}

        report = roster_import(file_bytes=roster_csv(), filename="演示花名册.csv", actor=admin, now=origin)
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

        load_history(series=series, people=people, coordinator=people["chenjing"], now=now)
        series_next_meeting(series=series, now=now, actor=people["chenjing"])
        load_present(series=series, people=people, now=now)
        load_approvals(coordinator=people["chenjing"], now=origin)

    def fill_inboxes(self, *, now) -> None:
        """The loaded weeks fill the in-app inboxes, but nobody is e-mailed or messaged in a
        group chat about weeks that were loaded rather than lived: their outward deliveries
        are dropped before anything is sent."""
        from xietong.notify.models import Delivery
        from xietong.notify.services import notify_dispatch

        while notify_dispatch(now=now):
            pass
        Delivery.objects.filter(state=Delivery.State.PENDING).delete()

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


# ---- history: a few weeks of the weekly cycle ---------------------------------------------


@dataclass(frozen=True)
class DemoTopic:
    key: str
    liaison: str
    title: str
    background: str
    need: str
    involved: tuple[str, ...]
    outcome: str
    solution: str
    category: str = "progress"
    priority: int = 3  # Topic.Priority: 1 urgent … 4 low
    budget: int = 20
    # what happens to it: "agenda" (triaged, then placed or deferred by the agenda build),
    # "reject", "draft", "review", "returned", "approved", "submitted", "triaged"
    fate: str = "agenda"
    late: bool = False  # submitted after the cut-off
    note: str = ""  # the head's return comment or the coordinator's reason


# Topics per week: "p3", "p2", "p1" are the three past meetings, "next" the coming one.
TOPICS: dict[str, tuple[DemoTopic, ...]] = {
    "p3": (
        DemoTopic(
            "controller",
            "zhuwenbo",
            "新一代控制器样机联调需测试部与生产部配合",
            "新一代控制器样机已完成硬件打样，计划下月小批量试产，需在本月内完成整机联调。",
            "测试部提供两周的整机测试台架时间；生产部安排试装工位并指定工艺人员参与。",
            ("测试部", "生产部"),
            "月底前完成样机联调并形成试产评审结论。",
            "研发一部牵头制定联调计划，测试部、生产部各指定一名接口人，每周例会反馈进展。",
            priority=2,
            budget=30,
        ),
        DemoTopic(
            "budget",
            "chuyan",
            "第四季度预算执行偏差说明及费用报销时限统一",
            "第三季度各部门预算执行偏差较大，部分费用跨季度报销，影响财务结账。",
            "各部门在季度末前五个工作日提交费用票据，并说明预算偏差原因。",
            ("人力资源部", "营销中心", "技术中心"),
            "统一费用报销时限，季度结账按时完成。",
            "财务部发布统一时间表，各部门联络员负责本部门提醒与汇总。",
            category="process",
            budget=20,
        ),
        DemoTopic(
            "rotation",
            "wuting",
            "跨部门轮岗试点方案征求意见",
            "为培养复合型骨干，人力资源部拟在技术中心与营销中心之间试点轮岗。",
            "请相关部门推荐轮岗人选并反馈岗位需求。",
            ("技术中心", "营销中心"),
            "形成轮岗试点名单。",
            "人力资源部汇总需求后拟定方案报领导小组。",
            fate="reject",
            note="属人事管理事项，请按人事审批流程报领导小组，不列入本周例会议程。",
        ),
    ),
    "p2": (
        DemoTopic(
            "changeover",
            "yuhai",
            "二号产线换型期间物料齐套问题",
            "二号产线下周换型生产新型号，部分物料尚未到货，存在停线风险。",
            "采购部确认关键物料到货时间；质量管理部安排来料加急检验。",
            ("采购部", "质量管理部"),
            "换型首日物料齐套率达到100%。",
            "生产部每日发布缺料清单，采购部逐项回复到货时间。",
            category="issue",
            priority=2,
            budget=30,
            late=True,
        ),
        DemoTopic(
            "sso",
            "zhangyu",
            "OA系统与ERP单点登录改造需各部门配合测试",
            "信息运维部计划将OA与ERP改为统一身份登录，减少账号数量。",
            "各部门指定一名测试人员，在测试环境完成常用业务的登录验证。",
            ("办公室", "财务部", "采购部"),
            "两周内完成用户验收测试。",
            "信息运维部提供测试账号与操作说明，问题统一登记在协作平台。",
            category="process",
            budget=25,
        ),
        DemoTopic(
            "complaints",
            "qiyue",
            "客户投诉响应时限与质量部会签流程优化",
            "近期客户投诉处理平均时长超过承诺时限，主要卡在质量原因分析会签环节。",
            "质量管理部明确会签时限；销售部同步客户沟通口径。",
            ("质量管理部", "销售部"),
            "投诉闭环时间缩短到五个工作日以内。",
            "客户服务部起草新流程，质量管理部、销售部会签后试行一个月。",
            category="process",
            budget=30,
        ),
    ),
    "p1": (
        DemoTopic(
            "dealers",
            "yanmei",
            "年度经销商大会活动协同（场地、物料、接待）",
            "年度经销商大会定于下月中旬举办，预计来宾两百人。",
            "办公室负责场地与接待，市场部负责物料，销售部负责邀约。",
            ("办公室", "市场部", "销售部"),
            "会前两周完成全部筹备事项。",
            "营销中心牵头成立筹备组，每周例会通报进度。",
            priority=2,
            budget=30,
        ),
        DemoTopic(
            "testlab",
            "lvxiaoxiao",
            "测试环境资源紧张，申请运维部扩容支持",
            "测试环境服务器资源长期满载，回归测试排队时间超过两天。",
            "信息运维部评估扩容方案；财务部确认预算来源。",
            ("信息运维部", "财务部"),
            "回归测试排队时间降到半天以内。",
            "先利用闲置服务器临时扩容，再纳入下季度采购计划。",
            category="resource",
            budget=25,
        ),
    ),
    "next": (
        DemoTopic(
            "instruments",
            "xuqian",
            "研发一部、研发二部共用测试仪器排期冲突",
            "两个研发部共用一台高精度示波器，近期项目节点重叠。",
            "研发一部协商错峰使用；采购部评估租赁或新购。",
            ("研发一部", "采购部"),
            "形成仪器共享排期规则。",
            "建立仪器预约表，冲突时按项目优先级排期。",
            category="resource",
            fate="draft",
        ),
        DemoTopic(
            "launch",
            "jinxin",
            "新品发布会宣传素材需研发部提供技术参数",
            "新品发布会宣传册和官网页面需要准确的技术参数与对比数据。",
            "研发一部在本周内提供参数表并审核宣传文案。",
            ("研发一部",),
            "宣传素材在发布会前一周定稿。",
            "市场部起草文案，研发一部指定专人审核。",
            category="info",
            fate="review",
        ),
        DemoTopic(
            "platform",
            "shenjie",
            "技术中心各部门共用代码托管与持续集成平台的权限梳理",
            "研发一部、研发二部、测试部各自维护代码仓库与构建服务器，权限分散，离职人员账号未及时回收。",
            "信息运维部统一账号与权限；各研发部门提供仓库清单与负责人。",
            ("信息运维部", "研发一部", "研发二部"),
            "一个月内完成权限梳理，离职账号当日回收。",
            "技术中心牵头制定权限清单模板，信息运维部按清单统一配置。",
            category="process",
            fate="review",
        ),
        DemoTopic(
            "custom",
            "taoran",
            "重点客户定制需求评审机制",
            "重点客户定制需求增多，评审无固定流程，交期承诺不一致。",
            "研发、生产、质量部门参加定制需求联合评审。",
            ("研发一部", "生产部", "质量管理部"),
            "建立定制需求评审流程。",
            "销售部汇总需求，每两周组织一次联合评审。",
            category="process",
            fate="returned",
            note="请补充涉及的客户清单和期望完成时间后再提交。",
        ),
        DemoTopic(
            "office",
            "sunli",
            "会议室预订规则调整",
            "三楼会议室周一上午经常冲突，临时会议无处召开。",
            "各部门按新规则预订，例会时段优先保障。",
            ("人力资源部", "技术中心"),
            "减少会议室冲突。",
            "办公室发布预订规则，信息运维部在OA中设置预订提醒。",
            category="process",
            fate="approved",
        ),
        DemoTopic(
            "leadtime",
            "shuihong",
            "关键元器件供应商交期延长，需研发评估替代料",
            "主控芯片供应商通知交期由八周延长至二十周，影响下季度排产。",
            "研发一部评估替代料；质量管理部安排替代料认证。",
            ("研发一部", "质量管理部", "生产部"),
            "一个月内确定替代方案。",
            "采购部提供备选供应商资料，研发一部两周内给出评估结论。",
            category="issue",
            priority=1,
            fate="submitted",
            late=True,
        ),
        DemoTopic(
            "inspection",
            "yunfei",
            "来料检验标准更新需采购部、生产部同步执行",
            "新版来料检验标准下月起执行，抽样比例和判定规则有调整。",
            "采购部通知供应商；生产部调整上线前复核要求。",
            ("采购部", "生产部"),
            "新标准按期执行，无批量质量问题。",
            "质量管理部组织一次宣贯培训，并提供标准对照表。",
            category="info",
            priority=1,
            budget=20,
            fate="triaged",
        ),
    ),
}

# Replies to past notices, per week: login -> ("absent", reason) | ("delegate", delegate login);
# everyone else attends, but for the listed non-repliers.
REPLIES: dict[str, dict[str, tuple[str, str]]] = {
    "p3": {"baixue": ("absent", "赴外地参加供应商年度审核")},
    "p2": {"zhenghua": ("delegate", "fenglei"), "xiejun": ("delegate", "yuhai")},
    "p1": {"kongfanyu": ("absent", "参加行业展会"), "hanbing": ("delegate", "yangfan")},
}
NO_REPLY: dict[str, set[str]] = {"p3": set(), "p2": {"shigang"}, "p1": {"jiangli"}}


class _Clock:
    """Moments for the demo's steps: as asked, but never before the previous step.

    With ``until``, the moments are instead spread evenly over the rest of the time up to
    ``until`` (for the week in progress, whose own cut-offs may still lie ahead).
    """

    def __init__(self, start, *, until=None, steps: int = 1):
        self.last = start
        self.step = (until - start) / (steps + 1) if until is not None else None

    def at(self, moment=None):
        if self.step is not None:
            self.last += self.step
        else:
            self.last = max(moment, self.last + timedelta(minutes=1))
        return self.last


@dataclass
class _History:
    """What every step of the demo history needs: the series, its people and its cut-offs."""

    series: MeetingSeries
    people: dict
    coordinator: Person
    starts: dict
    rules: object
    calendar: object
    departments: dict
    now: object = None

    def cutoff(self, rule: str, start):
        return self.rules.deadline(rule, start, self.calendar).value


def _create_topics(history: _History, specs, clock: _Clock, head_cut) -> dict[str, Topic]:
    made: dict[str, Topic] = {}
    for spec in specs:
        liaison = history.people[spec.liaison]
        made[spec.key] = topics.topic_create(
            actor=liaison,
            now=clock.at(head_cut - timedelta(days=2)),
            department=liaison.department,
            series=history.series,
            title=spec.title,
            background=spec.background,
            collaboration_need=spec.need,
            expected_outcome=spec.outcome,
            initial_solution=spec.solution,
            departments_involved=[history.departments[name] for name in spec.involved],
        )
    return made


def _review_topics(specs, made: dict[str, Topic], clock: _Clock, head_cut) -> None:
    """Send for review all but the drafts, then let the heads return or approve them."""
    for spec in specs:
        if spec.fate != "draft":
            topic = made[spec.key]
            topics.topic_send_for_review(
                topic=topic, actor=topic.author, now=clock.at(head_cut - timedelta(hours=20))
            )
    for spec in specs:
        if spec.fate in {"draft", "review"}:
            continue
        topic = made[spec.key]
        head = holders(Role.HEAD, topic.department_id)[0]
        at = clock.at(head_cut - timedelta(hours=2))
        if spec.fate == "returned":
            topics.topic_return(topic=topic, actor=head, now=at, comment=spec.note)
        else:
            topics.topic_approve(topic=topic, actor=head, now=at)


WINDOW_REFUSALS = {"window_not_open", "window_closed"}


def _inside_window(history: _History, topic: Topic, n: int):
    """A moment inside ``topic``'s topic window that has already come (the n-th submission a
    few minutes after the opening), or None while the window is still ahead."""
    start = topic.meeting.starts_at
    opens = history.cutoff("topic_window_opens", start) + timedelta(minutes=5 + n)
    closes = history.cutoff("topic_window_closes", start)
    return opens if opens <= history.now and opens < closes else None


def _submit_and_triage(history: _History, specs, made: dict[str, Topic], clock: _Clock, sub_cut) -> None:
    ready = [s for s in specs if s.fate not in {"draft", "review", "returned", "approved"}]
    submitted = []
    for spec in sorted(ready, key=lambda s: s.late):
        topic = made[spec.key]
        at = sub_cut + timedelta(minutes=20) if spec.late else sub_cut - timedelta(hours=1)
        moment = clock.at(at)
        try:
            topics.topic_submit(topic=topic, actor=topic.author, now=moment)
        except DomainError as refused:
            # The week in progress, spread over the days so far, reached this step outside the
            # policy's topic window: submitted inside the window when it has opened by now,
            # else the topic waits, approved, for the window as it would in life.
            if refused.code not in WINDOW_REFUSALS:
                raise
            inside = _inside_window(history, topic, len(submitted))
            if inside is None:
                continue
            topics.topic_submit(topic=topic, actor=topic.author, now=inside)
        submitted.append(spec)
    ready = [s for s in ready if s in submitted]
    for spec in ready:
        topic = made[spec.key]
        at = clock.at(sub_cut + timedelta(minutes=30))
        if spec.fate == "reject":
            topics.topic_reject(topic=topic, actor=history.coordinator, now=at, reason=spec.note)
        elif spec.fate in {"agenda", "triaged"}:
            topics.topic_triage(
                topic=topic,
                actor=history.coordinator,
                now=at,
                category=spec.category,
                priority=spec.priority,
                budget_minutes=spec.budget,
            )


def _run_week(history: _History, key: str, clock: _Clock) -> dict[str, Topic]:
    """Draft, review, submit and triage the week's topics as far as their story goes."""
    start = history.starts[key]
    head_cut = history.cutoff("head_review_cutoff", start)
    sub_cut = history.cutoff("submission_cutoff", start)
    specs = TOPICS[key]
    made = _create_topics(history, specs, clock, head_cut)
    _review_topics(specs, made, clock, head_cut)
    _submit_and_triage(history, specs, made, clock, sub_cut)
    return made


def _hold_meeting(history: _History, key: str, clock: _Clock) -> None:
    """Build, confirm and publish a past week's agenda, then let the invitees answer."""
    start = history.starts[key]
    coordinator = history.coordinator
    meeting = Meeting.objects.get(series=history.series, starts_at=start)
    agenda_cut, notice_cut = history.cutoff("agenda_cutoff", start), history.cutoff("notice_lead", start)
    agenda = agenda_build(
        meeting=meeting, actor=coordinator, now=clock.at(agenda_cut - timedelta(minutes=40))
    )
    agenda_confirm(agenda=agenda, actor=coordinator, now=clock.at(agenda_cut - timedelta(minutes=20)))
    at = clock.at(min(agenda_cut + timedelta(minutes=10), notice_cut - timedelta(minutes=5)))
    late = at > notice_cut  # only when holidays squeeze the cut-offs together
    meeting_publish(
        meeting=meeting,
        actor=coordinator,
        now=at,
        emergency=late,
        emergency_reason="节假日调整，通知补发" if late else "",
    )
    for rsvp in Rsvp.objects.filter(meeting=meeting).select_related("invitee").order_by("id"):
        login = rsvp.invitee.username
        if login in NO_REPLY[key]:
            continue
        answer, detail = REPLIES[key].get(login, ("attend", ""))
        rsvp_answer(
            rsvp=rsvp,
            response=answer,
            delegate=history.people[detail] if answer == "delegate" else None,
            reason=detail if answer == "absent" else "",
            actor=rsvp.invitee,
            now=clock.at(at + timedelta(minutes=15)),
        )


def load_history(*, series, people, coordinator, now) -> None:
    """Three past weekly meetings through the real services, then the coming week so far.

    Past steps are taken at moments computed from the policy's own cut-offs (so the demo
    stays right when the regulation or the holidays move them); a step the story wants late
    is taken just after its cut-off, and the ledger records it as late. The week in progress
    is spread over the time between the last meeting and ``now``: whatever it reached after
    a cut-off is late, as the ledger says.
    """
    (coming,) = series_occurrences(series, after=now, count=1)
    week = timedelta(days=7)
    history = _History(
        series=series,
        people=people,
        coordinator=coordinator,
        starts={"p3": coming - 3 * week, "p2": coming - 2 * week, "p1": coming - week, "next": coming},
        rules=series.policy.current_version().rules,
        calendar=business_calendar(),
        departments={d.name: d for d in Department.objects.all()},
        now=now,
    )

    clock = _Clock(history.starts["p3"] - week)
    for key in ("p3", "p2", "p1"):
        _run_week(history, key, clock)
        _hold_meeting(history, key, clock)
        clock = _Clock(max(clock.last, history.starts[key]))  # the meeting is held; the next week begins

    specs = TOPICS["next"]
    steps = 5 * len(specs)  # more than the steps taken: create, send, decide, submit, triage
    _run_week(history, "next", _Clock(clock.last, until=now, steps=steps))
    obligations_mark_breached(now=now)
