"""GIS exports of a scenario: GeoPackage, zipped Shapefile, GeoJSON and KML (issue 18, item 4).

The layers and their fields are :mod:`planner.model.io.gis_layers`'s; this module writes them.

- ``gpkg``: both layers (``territories``, ``units``) in one GeoPackage, MultiPolygon, EPSG:4326.
  The territories layer comes first, so a tool that reads "the" layer of the file (and
  ``planner import-territories``) gets the territories.
- ``shp``: a zip holding ``territories.shp`` and ``units.shp`` with their ``.shx``, ``.dbf``,
  ``.prj`` and ``.cpg`` (UTF-8), plus ``fields.csv``: dBase field names have at most 10
  characters, so long names get a short one (:func:`short_names`) and the mapping travels with
  the data (and is in the command's report). Text longer than the 254 bytes a dBase field holds
  is cut by GDAL; the export says how many values were cut.
- ``geojson``: one layer (default territories), RFC 7946 lon/lat, ``null`` for a number
  without a finite value (never ``NaN``).
- ``kml``: both layers as Folders, names escaped, filled with the territory colours
  (:mod:`planner.model.io._kml`).

GIS attributes are not neutralised against spreadsheet formulas the way CSV/XLSX cells are
(:mod:`planner.model.io._cells`): GIS tools do not evaluate them, and a name written with an
apostrophe would import back as another territory. Every file is written through
:func:`~planner.model.io._output.write_atomic` (never over the project or an input, complete or
not at all).
"""

from __future__ import annotations

import csv
import io
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pyogrio
import shapely

from planner.model.errors import PlannerError
from planner.model.io._json import dumps
from planner.model.io._kml import write_kml
from planner.model.io._output import Protected, protected, write_atomic
from planner.model.io.gis_layers import LAYERS, Layer, Layers, build_layers

if TYPE_CHECKING:
    from planner.model.plan import Plan

GIS_FORMATS = ("gpkg", "shp", "geojson", "kml")
#: Formats holding one layer per file: the territories unless another layer is asked for.
SINGLE_LAYER = ("geojson",)
#: dBase (Shapefile) limits: field names and text values.
DBF_NAME, DBF_TEXT_BYTES = 10, 254
#: Readable 10-character names for the fields that are longer (the rest are cut and numbered).
_SHORT = {
    "workload_hours": "workload_h",
    "dev_accounts": "dev_accts",
    "dev_potential": "dev_pot",
    "dev_workload_hours": "dev_wl_h",
    "dev_revenue": "dev_rev",
    "dev_pipeline": "dev_pipe",
}
_SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass
class GisExport:
    """What was written: features per layer, each layer's field names in the file (the
    Shapefile mapping), territories left out for want of an area, and warnings."""

    file: Path
    format: str
    layers: dict[str, int] = field(default_factory=dict)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    without_area: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"file": str(self.file), "format": self.format, "layers": self.layers,
                "fields": self.fields, "without_area": self.without_area,
                "warnings": self.warnings}  # fmt: skip

    def to_text(self) -> str:
        lines = [f"wrote {self.file}: " + ", ".join(f"{n} {k}" for k, n in self.layers.items())]
        renamed = {k: v for f in self.fields.values() for k, v in f.items() if k != v}
        if renamed:
            lines.append("  shapefile field names: "
                         + ", ".join(f"{k} -> {v}" for k, v in renamed.items()))  # fmt: skip
        if self.without_area:
            lines.append(f"  {len(self.without_area)} territory(ies) have no area (no units or "
                         f"drawn shape) and are not in the layer: "
                         f"{', '.join(self.without_area[:8])}"
                         + (" …" if len(self.without_area) > 8 else ""))  # fmt: skip
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def layer_names(plan: Plan, fmt: str, layer: str | None) -> tuple[str, ...]:
    """The layers an export writes: ``layer`` if given, else every layer the format holds
    (a free-form project has no units layer)."""
    has_units = plan.atoms.n_units > 0
    if layer is not None:
        if layer not in LAYERS:
            raise PlannerError(f"unknown layer '{layer}' ({', '.join(LAYERS)})")
        if layer == "units" and not has_units:
            raise PlannerError("this project has no units (its territories are drawn): "
                               "export --layer territories")  # fmt: skip
        return (layer,)
    if fmt in SINGLE_LAYER or not has_units:
        return ("territories",)
    return LAYERS


def export_gis(
    plan: Plan, fmt: str, out: Path, *, layer: str | None = None,
    protect: Protected | None = None,
) -> GisExport:  # fmt: skip
    """Write ``plan``'s layers as ``fmt`` to ``out`` (atomically); returns what was written."""
    if fmt not in GIS_FORMATS:
        raise PlannerError(f"unknown GIS format '{fmt}' ({', '.join(GIS_FORMATS)})")
    if fmt == "shp" and Path(out).suffix.lower() != ".zip":
        raise PlannerError(f"{out}: --format shp writes a zip of the Shapefile's parts; give a "
                           "file name ending in .zip")  # fmt: skip
    built = build_layers(plan, layer_names(plan, fmt, layer))
    result = GisExport(Path(out), fmt, without_area=built.without_area)
    result.layers = {lay.name: len(lay) for lay in built.layers}
    shp = fmt == "shp"
    result.fields = {lay.name: short_names(lay.fields) if shp else {f: f for f in lay.fields}
                     for lay in built.layers}  # fmt: skip
    if shp:
        result.warnings = _cut_texts(built.layers)

    def write(tmp: Path) -> None:
        if fmt == "kml":
            write_kml(built.layers, tmp, plan.name)
        elif fmt == "gpkg":
            _write_gpkg(built, tmp)
        elif fmt == "shp":
            _write_shp(built, tmp, result.fields)
        else:
            _write_geojson(built, tmp)

    guard = {**protected(plan.project.path), **(protect or {})}
    result.file = write_atomic(out, write, protect=guard)
    return result


def short_names(fields: dict[str, str] | list[str]) -> dict[str, str]:
    """Field -> a dBase name: at most 10 characters, unique ignoring case (dBase does)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in fields:
        base = _SHORT.get(name, name)[:DBF_NAME]
        short, n = base, 1
        while short.lower() in used:
            suffix = f"_{n}"
            short, n = base[: DBF_NAME - len(suffix)] + suffix, n + 1
        used.add(short.lower())
        out[name] = short
    return out


def _frame(layer: Layer, names: dict[str, str] | None = None) -> gpd.GeoDataFrame:
    table = layer.table.rename(columns=names) if names else layer.table
    return gpd.GeoDataFrame(table, geometry=list(layer.geometry), crs="EPSG:4326")


def _write(frame: gpd.GeoDataFrame, path: Path, **options: Any) -> None:
    """pyogrio's write with GDAL's chatter kept out of the terminal (the export reports what
    matters itself, e.g. cut texts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(frame, path, **options)


def _write_gpkg(built: Layers, tmp: Path) -> None:
    tmp.unlink()  # GDAL creates the GeoPackage itself; an empty file is not one
    for layer in built.layers:
        _write(_frame(layer), tmp, layer=layer.name, driver="GPKG",
               geometry_type="MultiPolygon", promote_to_multi=True)  # fmt: skip


def _write_shp(built: Layers, tmp: Path, fields: dict[str, dict[str, str]]) -> None:
    with tempfile.TemporaryDirectory(prefix="planner-shp-") as folder:
        for layer in built.layers:
            target = Path(folder) / f"{layer.name}.shp"
            _write(_frame(layer, fields[layer.name]), target, driver="ESRI Shapefile",
                   geometry_type="Polygon", layer_options={"ENCODING": "UTF-8"})  # fmt: skip
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for layer in built.layers:
                for part in _SHP_PARTS:
                    z.write(Path(folder) / f"{layer.name}{part}", f"{layer.name}{part}")
            z.writestr("fields.csv", _mapping_csv(fields))


def _mapping_csv(fields: dict[str, dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["layer", "shapefile_field", "field"])
    w.writerows([layer, short, name] for layer, m in fields.items() for name, short in m.items())
    return buf.getvalue()


def _cut_texts(layers: list[Layer]) -> list[str]:
    """One warning per text field with values a dBase field cannot hold whole."""
    out = []
    for layer in layers:
        for name, kind in layer.fields.items():
            if kind != "str":
                continue
            long = sum(len(str(v).encode("utf-8")) > DBF_TEXT_BYTES for v in layer.table[name])
            if long:
                out.append(f"{long} {name} value(s) of the {layer.name} layer are longer than the "
                           f"{DBF_TEXT_BYTES} bytes a Shapefile text field holds and were cut; "
                           "GeoPackage keeps them whole")  # fmt: skip
    return out


def _write_geojson(built: Layers, tmp: Path) -> None:
    (layer,) = built.layers
    features = [
        {"type": "Feature", "properties": record, "geometry": shapely.geometry.mapping(geom)}
        for record, geom in zip(layer.table.to_dict("records"), layer.geometry, strict=True)
    ]
    fc = {"type": "FeatureCollection", "name": layer.name, "features": features}
    tmp.write_text(dumps(fc), encoding="utf-8")  # numpy scalars as numbers, NaN as null
