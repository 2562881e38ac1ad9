"""Building roster files (CSV / xlsx bytes) for tests."""

from __future__ import annotations

import csv
import io

import openpyxl

HEADER = ["部门", "上级部门", "姓名", "职务", "手机", "邮箱", "角色"]


def csv_bytes(rows: list[list], *, header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], *, header: list[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BASIC = [
    ["研发中心", "", "林中心", "研发中心主任", "13800000001", "lin@example.cn", "科室负责人、领导小组成员"],
    ["软件部", "研发中心", "许软件", "软件部经理", "13800000002", "xu@example.cn", "科室负责人"],
    ["软件部", "研发中心", "何联络", "", "13800000003", "", "联络员"],
    ["软件部", "研发中心", "马副职", "副经理", "13800000004", "ma@example.cn", "副职, 主持人"],
]
