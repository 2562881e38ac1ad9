"""Reading and checking a roster file (花名册): one person per row, Chinese column headers.

Plain Python plus ``django.utils.translation`` for the problem messages (rendered when the
problem is found, in the active language) and Django's e-mail / user-name validators; no
database. The service ``xietong.org.services.roster_import`` passes in what the database
already knows (department parents) and writes the result.

Row numbers are the ones the user sees in Excel: the header is row 1, the first person is
row 2, blank rows still count.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import openpyxl
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from .models import DEPARTMENT_ROLES, LeadershipRank, Role

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "REQUIRED_COLUMNS",
    "ROLE_NAMES",
    "ParsedRoster",
    "Problem",
    "RosterRow",
    "check_departments",
    "parse_roles",
    "parse_roster",
    "problem_order",
    "read_table",
]

# Header (as written in the file) -> field name.  Lengths follow xietong.org.models.
COLUMNS: dict[str, str] = {
    "部门": "department",
    "上级部门": "parent",
    "姓名": "name",
    "职务": "title",
    "手机": "mobile",
    "邮箱": "email",
    "角色": "roles",
    "账号": "login",
    "企业微信": "wecom",
    "钉钉": "dingtalk",
    "飞书": "feishu",
}
HEADER_OF = {name: header for header, name in COLUMNS.items()}
REQUIRED_COLUMNS = ("部门", "姓名", "手机")
MAX_LENGTHS = {
    "department": 60,
    "parent": 60,
    "name": 40,
    "title": 60,
    "email": 254,
    "login": 150,
    "wecom": 64,
    "dingtalk": 64,
    "feishu": 64,
}
MAX_ROWS = 5000

# Role word in the file -> (role, leadership rank).  Department roles are held for the
# person's own 部门.
ROLE_NAMES: dict[str, tuple[str, str]] = {
    "领导小组组长": (Role.LEADERSHIP, LeadershipRank.CHAIR),
    "领导小组副组长": (Role.LEADERSHIP, LeadershipRank.VICE_CHAIR),
    "领导小组成员": (Role.LEADERSHIP, LeadershipRank.MEMBER),
    "执行小组组长": (Role.COORDINATOR, ""),
    "主持人": (Role.HOST, ""),
    "记录员": (Role.RECORDER, ""),
    "联络员": (Role.LIAISON, ""),
    "科室负责人": (Role.HEAD, ""),
    "副职": (Role.DEPUTY, ""),
    "协调委员会": (Role.COMMITTEE, ""),
}
_ROLE_SEPARATORS = re.compile(r"[、,，;；\s]+")
_MOBILE = re.compile(r"^1\d{10}$")
_MOBILE_NOISE = re.compile(r"[\s\-()（）]")
_email_validator = EmailValidator()
_username_validator = UnicodeUsernameValidator()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: row (None for the whole file), column header, reason."""

    row: int | None
    column: str
    message: str


@dataclass
class RosterRow:
    row: int
    department: str = ""
    parent: str = ""
    name: str = ""
    title: str = ""
    mobile: str = ""
    email: str = ""
    login: str = ""
    wecom: str = ""
    dingtalk: str = ""
    feishu: str = ""
    # (role, department name or "", rank)
    roles: frozenset[tuple[str, str, str]] = frozenset()


@dataclass
class ParsedRoster:
    columns: frozenset[str] = frozenset()  # field names present in the file
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # department name -> parent name (None: top level), for every department of the file
    parents: dict[str, str | None] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.columns


def problem_order(problem: Problem) -> tuple[int, int]:
    """File problems first, then by row, then in the order of the columns."""
    column = list(COLUMNS).index(problem.column) if problem.column in COLUMNS else -1
    return (problem.row or 0, column)


def _msg(message: Any, **params: Any) -> str:
    return str(message % params) if params else str(message)


def _cell_text(value: Any) -> str:
    """A cell as text: Excel stores long numbers (mobiles) as numbers, dates as datetimes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    # Full-width spaces are common in hand-typed Chinese cells.
    return str(value).replace("\u3000", " ").strip()


def read_table(file_bytes: bytes, filename: str) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """The file's non-blank rows as (row number, cells as text); or file-level problems."""
    lower = (filename or "").lower()
    if lower.endswith(".xlsx"):
        return _read_xlsx(file_bytes)
    if lower.endswith(".csv"):
        return _read_csv(file_bytes)
    return [], [Problem(None, "", _msg(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv).")))]


def _read_xlsx(file_bytes: bytes) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    try:
        with warnings.catch_warnings():
            # Workbooks saved by other programs make openpyxl warn about styles it ignores.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(file_bytes), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        return [], [Problem(None, "", _msg(_("The file could not be read as an Excel workbook (.xlsx).")))]
    try:
        sheet = book.worksheets[0]
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if any(cells):
                rows.append((number, cells))
                if len(rows) > MAX_ROWS + 1:
                    return [], [_too_many_rows()]
        return rows, []
    finally:
        book.close()


def _read_csv(file_bytes: bytes) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    # Excel on Chinese Windows saves CSV as GB18030 (GBK); newer tools write UTF-8, often with a BOM.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = file_bytes.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return [], [Problem(None, "", _msg(_("The CSV file is neither UTF-8 nor GB18030 text.")))]
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            cells = [_cell_text(v) for v in values]
            if any(cells):
                rows.append((number, cells))
                if len(rows) > MAX_ROWS + 1:
                    return [], [_too_many_rows()]
    except csv.Error as exc:
        return [], [Problem(None, "", _msg(_("The CSV file could not be read: %(error)s"), error=exc))]
    return rows, []


def _too_many_rows() -> Problem:
    return Problem(None, "", _msg(_("The file has more than %(max)s people; split it."), max=MAX_ROWS))


def parse_roles(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Role words split on 、 , ， ; ； or spaces -> ([(role, rank)], [unknown words])."""
    found: list[tuple[str, str]] = []
    unknown: list[str] = []
    for word in _ROLE_SEPARATORS.split(text.strip()):
        if not word:
            continue
        if word in ROLE_NAMES:
            if ROLE_NAMES[word] not in found:
                found.append(ROLE_NAMES[word])
        else:
            unknown.append(word)
    return found, unknown


def normalise_mobile(text: str) -> str:
    mobile = _MOBILE_NOISE.sub("", text)
    if mobile.startswith("+86"):
        mobile = mobile[3:]
    return mobile


def parse_roster(
    file_bytes: bytes, filename: str, *, known_parents: dict[str, str | None] | None = None
) -> ParsedRoster:
    """Read and check a roster file; every problem found is listed, nothing is written.

    ``known_parents`` maps the names of departments already in the database to their
    parent's name (None at the top), so parents may refer to them and cycles through them
    are found.
    """
    table, problems = read_table(file_bytes, filename)
    if problems:
        return ParsedRoster(problems=problems)
    if not table:
        return ParsedRoster(problems=[Problem(None, "", _msg(_("The file is empty.")))])

    header_row, header_cells = table[0]
    headers = [h.strip().rstrip("*＊").strip() for h in header_cells]
    file_problems: list[Problem] = []
    seen: set[str] = set()
    for header in headers:
        if not header:
            continue
        if header not in COLUMNS:
            file_problems.append(
                Problem(
                    header_row,
                    header,
                    _msg(
                        _("Unknown column “%(name)s”. Allowed columns: %(allowed)s."),
                        name=header,
                        allowed="、".join(COLUMNS),
                    ),
                )
            )
        elif header in seen:
            file_problems.append(
                Problem(header_row, header, _msg(_("The column “%(name)s” appears twice."), name=header))
            )
        seen.add(header)
    missing = [h for h in REQUIRED_COLUMNS if h not in seen]
    if missing:
        file_problems.append(
            Problem(
                header_row,
                "",
                _msg(_("Required columns are missing: %(names)s."), names="、".join(missing)),
            )
        )
    if file_problems:
        return ParsedRoster(problems=file_problems)

    index = {COLUMNS[h]: i for i, h in enumerate(headers) if h in COLUMNS}
    parsed = ParsedRoster(columns=frozenset(index))
    for number, cells in table[1:]:
        if len(cells) > len(headers) and any(cells[len(headers) :]):
            parsed.problems.append(
                Problem(number, "", _msg(_("This row has values in columns without a header.")))
            )
        values = {name: (cells[i] if i < len(cells) else "") for name, i in index.items()}
        parsed.rows.append(_check_row(number, values, parsed.problems))
    _check_duplicates(parsed)
    parsed.parents = check_departments(parsed, known_parents or {})
    parsed.problems.sort(key=problem_order)
    return parsed


_Add = Callable[..., None]


def _check_row(number: int, values: dict[str, str], problems: list[Problem]) -> RosterRow:
    def add(name: str, message: Any, **params: Any) -> None:
        problems.append(Problem(number, HEADER_OF[name], _msg(message, **params)))

    _check_lengths(values, add)
    columns: dict[str, Any] = {k: v for k, v in values.items() if k != "roles" and k != "mobile"}
    row = RosterRow(row=number, **columns)
    if not row.name:
        add("name", _("The name is missing."))
    _check_mobile(row, values.get("mobile", ""), add)
    _check_email(row, add)
    _check_login(row, "login" in values, add)
    if row.parent and not row.department:
        add("department", _("A parent department is given but the department is missing."))
    if "roles" in values:
        row.roles = _row_roles(row, values["roles"], add)
    return row


def _check_lengths(values: dict[str, str], add: _Add) -> None:
    """Reports, and cuts to their limit, the values that are too long."""
    for name, limit in MAX_LENGTHS.items():
        value = values.get(name, "")
        if len(value) > limit:
            add(
                name,
                _("Too long (%(length)s characters; at most %(max)s)."),
                length=len(value),
                max=limit,
            )
            values[name] = value[:limit]


def _check_mobile(row: RosterRow, raw_mobile: str, add: _Add) -> None:
    row.mobile = normalise_mobile(raw_mobile)
    if not row.mobile:
        add("mobile", _("The mobile number is missing."))
    elif not _MOBILE.match(row.mobile):
        add(
            "mobile",
            _("“%(value)s” is not a mobile number (11 digits starting with 1)."),
            value=raw_mobile,
        )


def _check_email(row: RosterRow, add: _Add) -> None:
    if not row.email:
        return
    try:
        _email_validator(row.email)
    except ValidationError:
        add("email", _("“%(value)s” is not an e-mail address."), value=row.email)


def _check_login(row: RosterRow, has_login_column: bool, add: _Add) -> None:
    """Checks the given account name; without one the login is the mobile number."""
    if not (has_login_column and row.login):
        row.login = row.mobile
        return
    try:
        _username_validator(row.login)
    except ValidationError:
        add(
            "login",
            _("“%(value)s” is not a valid account name (letters, digits and @ . + - _ only)."),
            value=row.login,
        )


def _row_roles(row: RosterRow, text: str, add: _Add) -> frozenset[tuple[str, str, str]]:
    """The (role, department, rank) triples written in the row's roles cell."""
    found, unknown = parse_roles(text)
    for word in unknown:
        add(
            "roles",
            _("Unknown role “%(value)s”. Known roles: %(known)s."),
            value=word,
            known="、".join(ROLE_NAMES),
        )
    ranks = [rank for role, rank in found if role == Role.LEADERSHIP]
    if len(ranks) > 1:
        add("roles", _("A person holds only one place in the leadership group."))
    roles = set()
    for role, rank in found:
        if role not in DEPARTMENT_ROLES:
            roles.add((str(role), "", str(rank)))
        elif row.department:
            roles.add((str(role), row.department, ""))
        else:
            add(
                "roles",
                _("The role “%(role)s” needs the person's department."),
                role=_role_word(role, rank),
            )
    return frozenset(roles)


def _role_word(role: str, rank: str) -> str:
    for word, value in ROLE_NAMES.items():
        if value == (role, rank):
            return word
    return role


def _check_duplicates(parsed: ParsedRoster) -> None:
    first_mobile: dict[str, int] = {}
    first_login: dict[str, int] = {}
    for row in parsed.rows:
        if row.mobile and _MOBILE.match(row.mobile):
            if row.mobile in first_mobile:
                parsed.problems.append(
                    Problem(
                        row.row,
                        "手机",
                        _msg(
                            _("The mobile number %(value)s is already used in row %(other)s."),
                            value=row.mobile,
                            other=first_mobile[row.mobile],
                        ),
                    )
                )
            else:
                first_mobile[row.mobile] = row.row
        if row.login:
            if row.login in first_login:
                # With no 账号 column the login is the mobile, already reported above.
                if parsed.has("login"):
                    parsed.problems.append(
                        Problem(
                            row.row,
                            "账号",
                            _msg(
                                _("The account %(value)s is already used in row %(other)s."),
                                value=row.login,
                                other=first_login[row.login],
                            ),
                        )
                    )
            else:
                first_login[row.login] = row.row


def check_departments(parsed: ParsedRoster, known_parents: dict[str, str | None]) -> dict[str, str | None]:
    """Check 部门/上级部门 and return the department -> parent map the file asks for.

    A department whose rows name no parent keeps its parent in the database (a new one is
    placed at the top). A parent must be a department of the file or of the database, and
    the resulting tree must have no cycle.
    """
    in_file: set[str] = {row.department for row in parsed.rows if row.department}
    asked: dict[str, str] = {}
    asked_row: dict[str, int] = {}
    for row in parsed.rows:
        if not row.department or not row.parent:
            continue
        if row.parent not in in_file and row.parent not in known_parents:
            parsed.problems.append(
                Problem(
                    row.row,
                    "上级部门",
                    _msg(
                        _("The parent department “%(value)s” is neither in the file nor in the system."),
                        value=row.parent,
                    ),
                )
            )
            continue
        previous = asked.get(row.department)
        if previous is not None and previous != row.parent:
            parsed.problems.append(
                Problem(
                    row.row,
                    "上级部门",
                    _msg(
                        _(
                            "Row %(other)s gives “%(department)s” the parent “%(previous)s”, this row “%(value)s”."
                        ),
                        other=asked_row[row.department],
                        department=row.department,
                        previous=previous,
                        value=row.parent,
                    ),
                )
            )
            continue
        if previous is None:
            asked[row.department] = row.parent
            asked_row[row.department] = row.row

    parents: dict[str, str | None] = dict(known_parents)
    for name in in_file:
        parents.setdefault(name, None)
    parents.update(asked)

    reported: set[str] = set()
    for start in sorted(asked, key=lambda name: asked_row[name]):
        if start in reported:
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in path:
            path.append(node)
            node = parents.get(node)
        if node is None:
            continue
        cycle = path[path.index(node) :]
        reported.update(cycle)
        rows = sorted(asked_row[name] for name in cycle if name in asked_row) or [asked_row[start]]
        parsed.problems.append(
            Problem(
                rows[0],
                "上级部门",
                _msg(
                    _("The departments form a cycle: %(cycle)s."),
                    cycle=" → ".join([*cycle, cycle[0]]),
                ),
            )
        )
    return {name: parents.get(name) for name in in_file}
