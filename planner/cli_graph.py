"""Unit-graph and metric commands of ``planner`` (issue 15): import-adjacency, adjacency,
metrics. Registered by importing this module (see cli.py)."""

from __future__ import annotations

import argparse

from planner.cli_common import command, emit, open_project


@command("import-adjacency")
def _import_adjacency(args: argparse.Namespace) -> int:
    from planner.cli import import_with_report
    from planner.model.io.adjacency import import_adjacency

    with open_project(args) as p:
        return import_with_report(args, p, lambda: import_adjacency(p, args.file))


@command("adjacency")
def _adjacency(args: argparse.Namespace) -> int:
    from planner.model.unit_graph import describe_project

    with open_project(args, reading=True) as p:
        data = describe_project(p)
    emit(args, data, (
        f"{data['source']} graph: {data['nodes']:,} unit(s), {data['edges']:,} edge(s), "
        f"{data['components']} component(s)"))  # fmt: skip
    return 0


@command("metrics")
def _metrics(args: argparse.Namespace) -> int:
    from planner.model.unit_metrics import available_metrics

    with open_project(args, reading=True) as p:
        data = {"metrics": available_metrics(p)}
    emit(args, data, "\n".join(f"{m['name']}  ({m['source']})" for m in data["metrics"]))
    return 0
