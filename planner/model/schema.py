"""SQLAlchemy 2 typed ORM of a project (DESIGN.md "Persistence and teams").

One schema serves the SQLite project file and a shared PostgreSQL database. Geometry is stored
as WKB in EPSG:4326 (lon/lat): the model keeps one CRS, reprojection happens at import time and
at the map boundary. Money is stored as float in the project's currency.

The alignment of a scenario is stored as ``Assignment`` rows (unit or account atom ->
territory); pins are ``Pin`` rows of the scenario. ``EditLog`` keeps every applied MoveSet so a
session's undo history can be restored and team members can see who changed what.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Naming convention keeps constraint names stable across SQLite and PostgreSQL so that
#: Alembic migrations (batch mode on SQLite) can refer to them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACCOUNT_STATUSES = ("prospect", "customer", "partner")
TERRITORY_LEVELS = ("region", "district", "territory")
#: How an account got its location: exact coordinates, the centroid of its postal code, or none.
LOCATION_SOURCES = ("exact", "zip", "unlocated")


def utcnow() -> dt.datetime:
    """Timezone-aware now, stored as UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}  # noqa: RUF012


class ProjectInfo(Base):
    """Key/value settings of the project (name, currency, metric weights, created_by...)."""

    __tablename__ = "project_info"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class AtomCache(Base):
    """The atom arrays of the project (planner.model.atom_cache): one row per array, raw bytes.

    Derived data, rebuilt whenever it does not match (data version, schema, row counts,
    checksums), so it can always be deleted; opening 1M accounts from it takes a fraction of
    reading the account table.
    """

    __tablename__ = "atom_cache"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Rep(Base):
    __tablename__ = "rep"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    #: The rep's user id in the CRM (Salesforce ``User.Id``, the ``OwnerId`` of its accounts):
    #: what an owner-change file must name (planner.model.io.crm_update). "" when not known.
    crm_user_id: Mapped[str] = mapped_column(String(100), default="", server_default="")
    home_lon: Mapped[float | None] = mapped_column(Float)
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_label: Mapped[str] = mapped_column(String(200), default="")
    capacity_hours: Mapped[float] = mapped_column(Float, default=40.0)  # per week
    skills: Mapped[list[str]] = mapped_column(default=list)
    industries: Mapped[list[str]] = mapped_column(default=list)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("rep.id", ondelete="SET NULL"))
    manager: Mapped[Rep | None] = relationship(remote_side=[id])


class Territory(Base):
    """A territory's identity, and its attributes when it was created.

    What a territory is called, coloured, owned by and whether it is locked *in a scenario* is
    its :class:`ScenarioTerritory` row: a scenario is a whole territory plan, so renaming,
    assigning a rep or deleting a territory in a what-if scenario never touches the baseline.
    The columns here are the defaults a new scenario row starts from and what hierarchy nodes
    (regions, districts) use. Rows are never deleted by edits: the edit log refers to them.
    """

    __tablename__ = "territory"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    colour: Mapped[str] = mapped_column(String(9), default="#888888")
    level: Mapped[str] = mapped_column(String(16), default="territory")
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("rep.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id", ondelete="SET NULL"))
    #: Share of the total each balance target gives this territory; 1.0 = an equal share.
    target_weight: Mapped[float] = mapped_column(Float, default=1.0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    rep: Mapped[Rep | None] = relationship()
    parent: Mapped[Territory | None] = relationship(remote_side=[id])


class ScenarioTerritory(Base):
    """A territory as it stands in one scenario: membership and every editable attribute."""

    __tablename__ = "scenario_territory"
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), primary_key=True
    )
    territory_id: Mapped[int] = mapped_column(
        ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200))
    colour: Mapped[str] = mapped_column(String(9), default="#888888")
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("rep.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id", ondelete="SET NULL"))
    target_weight: Mapped[float] = mapped_column(Float, default=1.0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (UniqueConstraint("scenario_id", "name", name="uq_scenario_territory_name"),)


class ScenarioNode(Base):
    """A hierarchy node above the territories (a district, a region...) as one scenario has it.

    Nodes share the territory table's ids (a Territory row with its level), so a territory's
    ``parent_id`` names a node; each scenario keeps its own names, parents and managers, so a
    scenario can redraw the districts as well as the territories.
    """

    __tablename__ = "scenario_node"
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), primary_key=True
    )
    node_id: Mapped[int] = mapped_column(
        ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(40))
    colour: Mapped[str] = mapped_column(String(9), default="#888888")
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("rep.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id", ondelete="SET NULL"))
    __table_args__ = (UniqueConstraint("scenario_id", "name", name="uq_scenario_node_name"),)


class QuotaPlan(Base):
    """A scenario's quota plan for one fiscal year: how it was allocated (basis, guardrails,
    seasonality), whether quota follows moved accounts, and the difficulty bands
    (planner.model.quota.settings)."""

    __tablename__ = "quota_plan"
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), primary_key=True
    )
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Quota(Base):
    """One node's quota for one fiscal month, in whole cents (exact sums at every level).

    ``node_id`` is a territory or hierarchy node id, 0 for the whole plan (the company total).
    ``adjusted`` marks a manual number that a new allocation keeps; ``commitment`` is the
    bottom-up number the territory committed to (None: none given).
    """

    __tablename__ = "quota"
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), primary_key=True
    )
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1..12, fiscal months
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # cents
    commitment: Mapped[int | None] = mapped_column(BigInteger)  # cents
    adjusted: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")


class Unit(Base):
    """A building block polygon (ZIP area, county, district)."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    geometry: Mapped[bytes] = mapped_column(LargeBinary)  # WKB, EPSG:4326
    #: Representative point (inside the polygon): decides which side of a boundary it is on.
    rep_lon: Mapped[float] = mapped_column(Float)
    rep_lat: Mapped[float] = mapped_column(Float)
    area_km2: Mapped[float] = mapped_column(Float, default=0.0)
    population: Mapped[float] = mapped_column(Float, default=0.0)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Account(Base):
    __tablename__ = "account"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    state: Mapped[str] = mapped_column(String(60), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(60), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(12), default="unlocated")
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("unit.id", ondelete="SET NULL"), index=True
    )
    industry: Mapped[str] = mapped_column(String(120), default="")
    segment: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(12), default="customer")
    potential: Mapped[float] = mapped_column(Float, default=0.0)
    revenue: Mapped[float] = mapped_column(Float, default=0.0)  # last 12 months
    visits_per_year: Mapped[float] = mapped_column(Float, default=0.0)
    minutes_per_visit: Mapped[float] = mapped_column(Float, default=0.0)
    owner: Mapped[str] = mapped_column(String(200), default="")  # owner named by the CRM export
    notes: Mapped[str] = mapped_column(Text, default="")


class Contact(Base):
    __tablename__ = "contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(120), default="")
    decision_maker: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str] = mapped_column(String(60), default="")
    email: Mapped[str] = mapped_column(String(200), default="")


class Opportunity(Base):
    __tablename__ = "opportunity"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300), default="")
    stage: Mapped[str] = mapped_column(String(60), default="")
    amount: Mapped[float] = mapped_column(Float, default=0.0)
    close_date: Mapped[dt.date | None] = mapped_column(Date)
    next_step: Mapped[str] = mapped_column(Text, default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)


class Activity(Base):
    __tablename__ = "activity"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(60), default="")
    date: Mapped[dt.date | None] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(200), default="")


class Scenario(Base):
    """An alignment. Exactly one is the baseline (the alignment in force).

    ``version`` is SQLAlchemy's optimistic-concurrency counter: a write from a planner whose copy
    is stale raises ``StaleDataError`` instead of silently overwriting a colleague (team mode).
    """

    __tablename__ = "scenario"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("scenario.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    #: Set on snapshots of a previous baseline kept when a scenario is published.
    snapshot_of_baseline_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Assignment(Base):
    """Atom -> territory of one scenario. ``atom_kind`` is 'unit' or 'account'.

    Unit projects store one row per unit; free-form projects one row per account. A missing row
    or a NULL territory means unassigned.
    """

    __tablename__ = "assignment"
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), primary_key=True
    )
    atom_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    atom_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territory.id", ondelete="SET NULL")
    )


class Pin(Base):
    """A key account held by a territory whatever its location, in one scenario."""

    __tablename__ = "pin"
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))


class TerritoryShape(Base):
    """A free-drawn territory polygon of one scenario (free-form projects)."""

    __tablename__ = "territory_shape"
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), primary_key=True
    )
    territory_id: Mapped[int] = mapped_column(
        ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True
    )
    geometry: Mapped[bytes] = mapped_column(LargeBinary)  # WKB, EPSG:4326


class EditLog(Base):
    """One applied (or undone) MoveSet of a scenario: who, when, what, and its effect."""

    __tablename__ = "edit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("scenario.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(32))  # lasso, paint, reshape, pin, import, undo...
    label: Mapped[str] = mapped_column(Text, default="")
    #: {"atoms": [[kind, id], ...], "from": [territory_id|None|"follow"...], "to": ...}
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Undone steps stay in the log (audit) but are marked, so restore skips them.
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    #: An undone step that a later edit made impossible to redo (the redo stack was dropped).
    discarded: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Max |deviation| per metric before/after and the affected territories' deviations, so the
    #: history shows each step's effect after reopening.
    effect: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Publication(Base):
    """Audit record of a scenario published as the new baseline."""

    __tablename__ = "publication"
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("scenario.id", ondelete="SET NULL"))
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("scenario.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[str] = mapped_column(String(200), default="")
    effective_date: Mapped[dt.date | None] = mapped_column(Date)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Handover(Base):
    """A handover packet: accounts moving from one rep to another."""

    __tablename__ = "handover"
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("scenario.id", ondelete="SET NULL"))
    from_rep_id: Mapped[int | None] = mapped_column(ForeignKey("rep.id", ondelete="SET NULL"))
    to_rep_id: Mapped[int | None] = mapped_column(ForeignKey("rep.id", ondelete="SET NULL"))
    effective_date: Mapped[dt.date | None] = mapped_column(Date)
    transition_end: Mapped[dt.date | None] = mapped_column(Date)
    support_until: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    items: Mapped[list[HandoverItem]] = relationship(
        back_populates="handover", cascade="all, delete-orphan"
    )


class HandoverItem(Base):
    """One checklist item of one account in a packet, ticked with who/when and a note."""

    __tablename__ = "handover_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(
        ForeignKey("handover.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(300))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    due: Mapped[dt.date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_by: Mapped[str] = mapped_column(String(200), default="")
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    handover: Mapped[Handover] = relationship(back_populates="items")


Index("ix_assignment_territory", Assignment.scenario_id, Assignment.territory_id)


class UnitEdge(Base):
    """A given adjacency between two units (``planner import-adjacency``): a street graph or a
    service-area network. When any row exists, the project's unit graph is exactly these
    edges (both directions implied, ``unit_a < unit_b``) instead of the derived contiguity."""

    __tablename__ = "unit_edge"
    unit_a: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    unit_b: Mapped[int] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AccountAttribute(Base):
    """A numeric column of an account import that the project does not know (calls, volume,
    a second potential): kept per account so it can be balanced like ``potential`` (issue 15;
    migration 0009). One row per account and column; a blank cell has no row."""

    __tablename__ = "account_attribute"
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    value: Mapped[float] = mapped_column(Float)


# -- results, partners and the written plan (issue 17; migration 0008) -------------------------
class Actual(Base):
    """One booking (a sale) of an account: the actuals results are measured with.

    ``booking_key`` makes an import idempotent: the file's booking id when it has one, else a
    key built from the row's content and its occurrence (planner.model.io.actuals), so
    importing the same file twice replaces rows instead of adding them. ``period`` is the
    calendar month ``year * 100 + month`` of ``booked_on``: results group by it without parsing
    millions of dates. ``partner_id``: the partner account the sale went through, if any.
    """

    __tablename__ = "actual"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_key: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    booked_on: Mapped[dt.date] = mapped_column(Date)
    period: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)  # cents
    product: Mapped[str] = mapped_column(String(120), default="")
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))


class PartnerLink(Base):
    """A channel partner (an account with status partner) serving a territory or an account."""

    __tablename__ = "partner_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")


class PlanDoc(Base):
    """One saved revision of a territory's written plan (planner.model.territory_plan).

    Revisions are only added, never changed: the latest is the plan, the others its history
    (undo writes an older content back as a new revision). ``(territory_id, revision)`` is
    unique, so two planners saving the same revision at once cannot both win.
    """

    __tablename__ = "plan_doc"
    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(
        ForeignKey("territory.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[str] = mapped_column(String(200), default="")
    label: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    __table_args__ = (UniqueConstraint("territory_id", "revision", name="uq_plan_doc_revision"),)
