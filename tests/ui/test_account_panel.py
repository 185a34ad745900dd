"""Account panel: the details a planner sees, escaped, with no link navigation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QUrl
from sqlalchemy import select, update

from planner.model import moves
from planner.model.plan import Plan
from planner.model.schema import Account, Activity, Contact, Opportunity
from planner.model.synthetic import grid_project
from planner.ui.account_panel import AccountPanel, account_details

EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    project = grid_project(tmp_path / "g.tplan")
    with project.transaction() as s:
        s.execute(
            update(Account)
            .where(Account.id == 1)
            .values(
                name=EVIL,
                address="1 Main St",
                city="Atlanta",
                state="GA",
                postal_code="30301",
                segment="Enterprise",
                industry="Retail",
                notes="call <script>window.x=1</script> first",
            )
        )
        s.add_all(
            [
                Contact(account_id=1, name="Zed Buyer", role="CFO", decision_maker=True),
                Contact(account_id=1, name="Amy User", role="Clerk", email="a@x.test"),
                Opportunity(
                    account_id=1,
                    name="<a href='http://evil.test'>Renewal</a>",
                    stage="Negotiation",
                    amount=12345.0,
                    close_date=dt.date(2027, 3, 1),
                    next_step="send quote",
                ),
                Opportunity(account_id=1, name="Lost deal", stage="Closed", is_open=False),
            ]
        )
        s.add_all(
            [
                Activity(account_id=1, type="call", date=dt.date(2026, 1, d), summary=f"chat {d}")
                for d in range(1, 9)
            ]
        )
    return Plan.load(project)


def test_shows_details_in_the_expected_order(qtbot: Any, plan: Plan) -> None:
    panel = AccountPanel(plan)
    qtbot.addWidget(panel)
    assert panel.show_account(plan.project, 1)
    text = panel.browser.toPlainText()
    assert "1 Main St, Atlanta, GA 30301" in text
    assert "Enterprise" in text
    assert "Retail" in text
    assert "Territory (Baseline)" in text
    assert "T1" in text
    assert "Rep 1" in text
    assert text.index("Zed Buyer") < text.index("Amy User")  # decision makers first
    assert "12,345" in text
    assert "2027-03-01" in text
    assert "send quote" in text
    assert "Lost deal" not in text  # closed opportunities are not open work
    assert [f"chat {d}" in text for d in range(8, 0, -1)] == [True] * 5 + [False] * 3
    assert text.index("chat 8") < text.index("chat 4")  # newest first


def test_user_strings_are_shown_literally_never_as_markup(qtbot: Any, plan: Plan) -> None:
    panel = AccountPanel(plan)
    qtbot.addWidget(panel)
    panel.show_account(plan.project, 1)
    text = panel.browser.toPlainText()
    assert EVIL in text
    assert "<script>window.x=1</script>" in text
    assert "<a href='http://evil.test'>Renewal</a>" in text
    rendered = panel.browser.toHtml()
    assert "<img" not in rendered
    assert "<script" not in rendered
    assert "<a " not in rendered  # the opportunity's link is text, not an anchor


def test_links_never_navigate(qtbot: Any, plan: Plan) -> None:
    panel = AccountPanel(plan)
    qtbot.addWidget(panel)
    panel.show_account(plan.project, 1)
    before = panel.browser.toHtml()
    assert not panel.browser.openLinks()
    assert not panel.browser.openExternalLinks()
    panel.browser.setSource(QUrl())  # no source set: the panel never loads documents
    panel.browser.anchorClicked.emit(QUrl("http://evil.test/"))
    assert panel.browser.source().isEmpty()
    assert panel.browser.toHtml() == before


def test_territory_follows_the_plan(qtbot: Any, plan: Plan) -> None:
    panel = AccountPanel(plan)
    qtbot.addWidget(panel)
    with plan.project.session() as s:
        unit_id = s.scalar(select(Account.unit_id).where(Account.id == 1))
    unit = int(np.flatnonzero(plan.atoms.unit_ids == unit_id)[0])
    plan.apply(moves.for_units(plan, np.array([unit]), 2))
    panel.show_account(plan.project, 1)
    assert "T3" in panel.browser.toPlainText()
    pin = moves.for_pin(plan, 0, 1)
    plan.apply(pin)
    panel.show_account(plan.project, 1)
    assert "T2 — pinned" in panel.browser.toPlainText()


def test_missing_account_says_so(qtbot: Any, plan: Plan) -> None:
    panel = AccountPanel()
    qtbot.addWidget(panel)
    assert not panel.show_account(plan.project, 999_999)
    assert "not in this project" in panel.browser.toPlainText()
    assert account_details(plan.project, 999_999) is None
    assert panel.show_account(plan.project, 2)  # no plan: details without a territory
    assert "Territory" not in panel.browser.toPlainText()
