"""Import contacts, opportunities or activities linked to accounts by the account external id.

Same reading, mapping and all-or-nothing policy as the account import (see
:mod:`planner.model.io.report`). A row whose account is not in the project is rejected: import
accounts first. Related rows have no id of their own in CRM exports we can rely on, so a row
identical in every field to one already stored for that account is skipped (counted in
``report.extra["already_present"]``): importing the same export twice does not double the
pipeline, and monthly activity files add up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, insert, select

from planner.model._persist import log_data_change
from planner.model.io import _columns as cols
from planner.model.io._limits import MAX_AMOUNT
from planner.model.io._messages import name_list, quote
from planner.model.io._rowchecks import RowChecks
from planner.model.io._tabular import read_table
from planner.model.io.report import ImportReport
from planner.model.schema import Account, Activity, Contact, Opportunity
from planner.model.store import Project
from planner.model.users import current_user

Kind = Literal["contacts", "opportunities", "activities"]

_ACCOUNT = """
account_id: Account ID | AccountId | account_id | Account External ID | External Account ID |
    Account Number | Company ID | Associated Company ID | Parent Customer ID | 客户编号 |
    客户ID | 客户代码
"""
#: Known headers per field and kind, in order of preference (matched with :func:`cols.norm`).
RELATED_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "contacts": cols.synonym_table(
        _ACCOUNT
        + """
name: Full Name | Contact Name | Name | name | 联系人 | 联系人姓名 | 姓名
first_name: First Name | FirstName | first_name | given_name | 名
last_name: Last Name | LastName | last_name | surname | family_name | 姓
role: Title | Job Title | Role | role | Position | 职位 | 职务 | 角色
decision_maker: Decision Maker | decision_maker | Is Decision Maker | Key Decision Maker |
    决策人 | 是否决策人 | 关键决策人
phone: Phone | Phone Number | Mobile | MobilePhone | Mobile Phone | Business Phone | phone |
    电话 | 手机 | 联系电话
email: Email | E-mail | Email Address | email | 邮箱 | 电子邮件
"""
    ),
    "opportunities": cols.synonym_table(
        _ACCOUNT
        + """
name: Opportunity Name | Deal Name | Topic | Name | name | 商机名称 | 机会名称
stage: Stage | StageName | Deal Stage | Sales Stage | stage | 阶段 | 销售阶段 | 商机阶段
amount: Amount | Deal Amount | Est. Revenue | Estimated Revenue | amount | 金额 | 商机金额 |
    预计金额
close_date: Close Date | CloseDate | Expected Close Date | Est. Close Date | close_date |
    预计成交日期 | 成交日期 | 结单日期
next_step: Next Step | NextStep | next_step | 下一步
is_open: is_open | Open | Is Open | 是否进行中
is_closed: IsClosed | Closed | is_closed | 已关闭 | 是否关闭
"""
    ),
    "activities": cols.synonym_table(
        _ACCOUNT
        + """
type: Activity Type | Task Subtype | Type | type | 活动类型 | 类型
date: Activity Date | ActivityDate | Date | Due Date | date | 活动日期 | 拜访日期 | 日期
summary: Subject | Summary | Description | Comments | summary | 主题 | 内容 | 摘要
by: Assigned | Assigned To | Activity Owner | Owner | owner | by | 拜访人 | 执行人 | 负责人
"""
    ),
}
_TABLES = {"contacts": Contact, "opportunities": Opportunity, "activities": Activity}
#: Stages that end an opportunity (compared after :func:`cols.norm`); any stage starting with
#: "closed" also does.
CLOSED_STAGES = {
    "won",
    "lost",
    "closedwon",
    "closedlost",
    "赢单",
    "输单",
    "丢单",
    "已成交",
    "成交",
    "已关闭",
    "关闭",
    "失败",
}


def is_closed_stage(stage: str) -> bool:
    """True for Closed Won / Closed Lost / 赢单 / 输单 and the like."""
    key = cols.norm(stage)
    return key in CLOSED_STAGES or key.startswith("closed")


def import_related(
    project: Project,
    path: Path,
    kind: Kind,
    *,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import ``kind`` rows from ``path``; returns the report (its kind is ``kind``).

    Raises :class:`~planner.model.errors.ImportRefused` (carrying the report) for an unusable
    file, a missing account id column, or rejected rows without ``skip_invalid``; the project is
    then unchanged.
    """
    if kind not in RELATED_COLUMNS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(RELATED_COLUMNS)}")
    path = Path(path)
    report = ImportReport(kind=kind, file=str(path))
    table = read_table(path, report, encoding=encoding)
    fmap = cols.resolve_mapping(
        table.headers, RELATED_COLUMNS[kind], ("account_id",), mapping, report
    )
    if kind == "contacts" and not {"name", "first_name", "last_name"} & set(fmap):
        raise report.refuse(
            f"{report.file}: required column(s) missing: name (or first/last name) "
            f"(map one with --map name=COLUMN); columns found: {name_list(table.headers)}"
        )
    frame, rows = table.frame, table.rows.to_numpy()

    def text(fld: str) -> list[str]:
        return frame[fmap[fld]].tolist() if fld in fmap else [""] * len(frame)

    with project.transaction() as session:
        accounts = {e: i for e, i in session.execute(select(Account.external_id, Account.id))}
        values: dict[str, list[Any]] = {"account_id": []}
        batch = _Rows(report, rows, np.ones(len(frame), dtype=bool), fmap, text, values)
        for fld in fmap:
            batch.spreadsheet_errors(fld, text(fld))
        for i, ext in enumerate(text("account_id")):
            acc = accounts.get(ext)
            values["account_id"].append(acc)
            if acc is None and batch.ok[i]:
                reason = (
                    "empty account id"
                    if not ext
                    else f"account {quote(ext)} is not in the project (import accounts first)"
                )
                report.reject(int(rows[i]), "account_id", reason)
                batch.ok[i] = False
        parse = {"contacts": _contacts, "opportunities": _opportunities, "activities": _activities}
        parse[kind](batch)
        for fld, vals in values.items():
            batch.too_long(fld, vals, _TABLES[kind])
        ok = batch.ok
        report.rejected.sort(key=lambda r: r.row or 0)  # first problem first
        report.check_rejections(skip_invalid)
        keep = np.flatnonzero(ok)
        records = [{k: v[i] for k, v in values.items()} for i in keep]
        model = _TABLES[kind]
        fields = list(values)
        stored = {tuple(r) for r in session.execute(select(*[getattr(model, f) for f in fields]))}
        new = []
        for rec in records:
            key = tuple(rec[f] for f in fields)
            if key not in stored:
                new.append(rec)
        if new:
            session.execute(insert(cast(Table, model.__table__)), new)
            if kind == "opportunities":  # open pipeline is a balance figure of every scenario
                log_data_change(session, current_user(), "import-opportunities",
                                f"import opportunities from {path.name}")  # fmt: skip
        report.imported = len(new)
        report.extra["already_present"] = len(records) - len(new)
    return report


@dataclass
class _Rows(RowChecks):
    """The rows of one import being parsed: every parser reads, rejects and fills through it."""

    fmap: dict[str, str]
    text: Callable[[str], list[str]]
    values: dict[str, list[Any]]

    def reject_bad(self, bad: np.ndarray, raw: list[str], fld: str, what: str) -> None:
        self.reject(bad, fld, lambda i: f"{quote(raw[i])} is not {what}")

    def flags(self, fld: str) -> list[bool | None]:
        """Parsed flags; an unknown value is a warning and counts as not given (None)."""
        out = []
        for i, t in enumerate(self.text(fld)):
            v = cols.parse_flag(t) if t else None
            if t and v is None and self.ok[i]:
                self.report.warn(int(self.rows[i]), fld, f"{quote(t)} is not yes/no; not given")
            out.append(v)
        return out


def _contacts(b: _Rows) -> None:
    text = b.text
    names = text("name")
    joined = [
        f"{a} {b}".strip() for a, b in zip(text("first_name"), text("last_name"), strict=True)
    ]
    names = [n or j for n, j in zip(names, joined, strict=True)]
    for i in np.flatnonzero(b.ok & np.array([not n for n in names], dtype=bool)):
        b.report.reject(int(b.rows[i]), "name", "empty contact name")
        b.ok[i] = False
    dm = b.flags("decision_maker")
    b.values.update(
        name=names,
        role=text("role"),
        decision_maker=[bool(v) for v in dm],
        phone=text("phone"),
        email=text("email"),
    )


def _opportunities(b: _Rows) -> None:
    text = b.text
    amount_raw = pd.Series(text("amount"), dtype=object)
    amount, bad = cols.parse_money(amount_raw)
    b.reject_bad(bad, amount_raw.tolist(), "amount", "an amount")
    b.out_of_range("amount", amount, amount_raw.tolist(), -MAX_AMOUNT, MAX_AMOUNT)
    close_raw = text("close_date")
    close, bad = cols.parse_dates(pd.Series(close_raw, dtype=object))
    b.reject_bad(bad, close_raw, "close_date", "a date")
    stages = text("stage")
    open_flag = b.flags("is_open")
    closed_flag = b.flags("is_closed")
    is_open = []
    for s, o, c in zip(stages, open_flag, closed_flag, strict=True):
        if o is not None and "is_open" in b.fmap:
            is_open.append(o)
        elif c is not None and "is_closed" in b.fmap:
            is_open.append(not c)
        else:
            is_open.append(not is_closed_stage(s))
    b.values.update(
        name=text("name"),
        stage=stages,
        amount=np.nan_to_num(amount, nan=0.0).tolist(),
        close_date=close,
        next_step=text("next_step"),
        is_open=is_open,
    )


def _activities(b: _Rows) -> None:
    text = b.text
    date_raw = text("date")
    dates: list[dt.date | None]
    dates, bad = cols.parse_dates(pd.Series(date_raw, dtype=object))
    b.reject_bad(bad, date_raw, "date", "a date")
    b.values.update(type=text("type"), date=dates, summary=text("summary"), by=text("by"))
