"""The written plan: revisions, conflicts between planners, restore, bounds, escaping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.model import territory_plan as tp
from planner.model.alerts import AlertEngine
from planner.model.errors import PlannerError
from planner.model.io.plan_export import plan_html, write_plan_xlsx
from planner.model.plan import Plan
from planner.model.plan_report import build_reports
from planner.model.results import Results
from planner.model.store import Project
from tests.model.results_project import AS_OF, build

SCRIPT = "<script>alert('x')</script> & <b>bold</b>"


@pytest.fixture
def built(tmp_path: Path) -> Iterator[tuple[Project, dict]]:
    p, ids = build(tmp_path / "p.tplan")
    yield p, ids
    p.close()


def _content(a1: int) -> dict:
    return {
        "swot": {"strengths": [SCRIPT, "Loyal customers"], "threats": ['=HYPERLINK("x")']},
        "goals": [
            {
                "description": "Grow bookings",
                "metric": "bookings",
                "target": 6000,
                "due": "2026-12-31",
                "owner": "Rep 1",
            },
            {"description": "Visit more", "metric": "visited", "target": 4},
            {"description": "Free goal", "metric": "happier customers", "target": 1},
        ],
        "strategy": {
            "focus": [{"account_id": a1, "reason": SCRIPT}],
            "visit_frequency": {"A": 12, "B": 6},
            "notes": "line one\nline two",
        },
        "review": [{"date": "2026-03-31", "happened": SCRIPT, "changes": "more visits"}],
    }


def test_saves_are_revisions_and_a_stale_save_is_refused(built) -> None:
    p, ids = built
    t1 = ids["tid"]["T1"]
    assert tp.current(p, t1).revision == 0
    assert tp.save(p, t1, _content(ids["a1"]), expected=0, user="ana") == 1
    assert tp.save(p, t1, {"swot": {"strengths": ["v2"]}}, expected=1, user="ana") == 2
    with pytest.raises(PlannerError, match="changed by ana since you opened it"):
        tp.save(p, t1, {"swot": {"strengths": ["mine"]}}, expected=1, user="ben")
    assert tp.current(p, t1).content["swot"]["strengths"] == ["v2"]
    assert tp.restore(p, t1, 1, user="ben") == 3
    assert tp.current(p, t1).content["swot"]["strengths"] == [SCRIPT, "Loyal customers"]
    assert [r.revision for r in tp.history(p, t1)] == [1, 2, 3]


def test_bad_content_is_refused_naming_the_part(built) -> None:
    p, ids = built
    t1 = ids["tid"]["T1"]
    with pytest.raises(PlannerError, match="goal 1 due date"):
        tp.save(p, t1, {"goals": [{"description": "x", "due": "tomorrow"}]}, expected=0)
    with pytest.raises(PlannerError, match="goal 1 target"):
        tp.save(p, t1, {"goals": [{"target": "lots"}]}, expected=0)
    with pytest.raises(PlannerError, match="SWOT strengths"):
        tp.save(p, t1, {"swot": {"strengths": ["x" * 10_001]}}, expected=0)
    assert tp.current(p, t1).revision == 0


def test_goal_progress_is_measured_and_plan_text_prints_as_text(built, tmp_path: Path) -> None:
    p, ids = built
    t1 = ids["tid"]["T1"]
    tp.save(p, t1, _content(ids["a1"]), expected=0)
    plan = Plan.load(p)
    res = Results.of_plan(plan, as_of=AS_OF)
    (report,) = build_reports(res, plan, AlertEngine(res, plan).evaluate(res, plan), [t1])
    bookings, visited, free = report.goals
    assert (bookings.actual, bookings.progress) == (3000, 0.5)
    assert (visited.actual, visited.progress) == (1, 0.25)
    assert free.actual is None
    assert free.progress is None
    assert {a.rule for a in report.alerts} >= {"behind_pace", "low_pipeline"}
    html = plan_html([report])
    assert "<script>" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    out = write_plan_xlsx([report], tmp_path / "plan.xlsx")
    from openpyxl import load_workbook

    swot = load_workbook(out)["SWOT"]
    cells = {c.value: c for row in swot.iter_rows() for c in row}
    assert cells['=HYPERLINK("x")'].data_type == "s"  # text, never a formula


def test_strategy_partners_are_the_territory_partner_links(built) -> None:
    from planner.model import partners
    from planner.model.schema import Account

    p, ids = built
    t1 = ids["tid"]["T1"]
    with p.transaction() as s:
        s.get(Account, ids["b1"]).status = "partner"
    tp.save(p, t1, {"strategy": {"partners": [ids["b1"]]}}, expected=0)
    assert [lk.partner_id for lk in partners.links(p, territory=t1)] == [ids["b1"]]
    with pytest.raises(PlannerError, match="not a partner"):
        tp.save(p, t1, {"strategy": {"partners": [ids["a1"]]}}, expected=1)
    assert [lk.partner_id for lk in partners.links(p, territory=t1)] == [ids["b1"]]
    tp.save(p, t1, {"strategy": {"partners": []}}, expected=1)
    assert partners.links(p, territory=t1) == []


@pytest.mark.parametrize(
    ("content", "part"),
    [
        ([], "plan"),
        ({"swot": ["a"]}, "SWOT"),
        ({"goals": {"a": 1}}, "goals"),
        ({"goals": ["x"]}, "goal 1"),
        ({"strategy": {"focus": [{"reason": "no id"}]}}, "focus 1"),
        ({"strategy": {"partners": ["abc"]}}, "partners"),
        ({"review": [3]}, "review 1"),
    ],
)
def test_any_shape_from_a_json_file_is_one_clear_message(built, content, part) -> None:
    p, ids = built
    with pytest.raises(PlannerError, match=part):
        tp.save(p, ids["tid"]["T1"], content, expected=0)
