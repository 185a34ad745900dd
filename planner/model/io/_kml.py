"""KML of GIS layers (:mod:`planner.model.io.gis_layers`): one Folder per layer.

Written with :mod:`xml.etree.ElementTree`, which escapes every name (``<``, ``&``, quotes), so a
territory called ``<b>North & South</b>`` stays text in Google Earth and QGIS. Characters XML
1.0 cannot hold at all (C0 controls other than tab and line breaks, which CRM exports do
contain) become U+FFFD instead of making the file unreadable.

Each Placemark's ``<name>`` is the feature's ``name`` field; the other fields are typed
``ExtendedData`` of a ``Schema`` per layer (GDAL's KML and LIBKML drivers read them back as
fields; a missing value is left out, as KML has no null). Polygons are filled with the
territory's colour at 60 % opacity.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from planner.model.colours import is_colour
from planner.model.io.gis_layers import Layer

NS = "http://www.opengis.net/kml/2.2"
_KML_TYPES = {"str": "string", "int": "int", "float": "double", "bool": "bool"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FILL_ALPHA, _LINE_ALPHA = "99", "ff"


def clean(value: object) -> str:
    """Text XML 1.0 can carry (ElementTree escapes markup, not control characters)."""
    return _NOT_XML.sub("\ufffd", str(value))


def write_kml(layers: list[Layer], path: Path, title: str) -> None:
    """Write ``layers`` as one KML document named ``title``."""
    kml = ET.Element("kml", xmlns=NS)
    doc = ET.SubElement(kml, "Document")
    ET.SubElement(doc, "name").text = clean(title)
    colours = sorted({_colour(c) for layer in layers for c in layer.table.get("colour", [])})
    for colour in colours:
        _style(doc, colour)
    for layer in layers:
        _schema(doc, layer)
    for layer in layers:
        folder = ET.SubElement(doc, "Folder")
        ET.SubElement(folder, "name").text = layer.name
        records: list[dict[str, Any]] = layer.table.to_dict("records")  # type: ignore[assignment]
        for record, geom in zip(records, layer.geometry, strict=True):
            _placemark(folder, layer, record, geom)
    ET.ElementTree(kml).write(path, encoding="UTF-8", xml_declaration=True)


def _colour(value: object) -> str:
    """``rrggbb`` of a ``#rgb``/``#rrggbb`` colour; grey for anything else."""
    text = str(value).strip()
    if not is_colour(text):
        return "888888"
    hexa = text[1:]
    return "".join(ch * 2 for ch in hexa) if len(hexa) == 3 else hexa.lower()


def _style(doc: ET.Element, rrggbb: str) -> None:
    bbggrr = rrggbb[4:6] + rrggbb[2:4] + rrggbb[0:2]
    style = ET.SubElement(doc, "Style", id=f"c{rrggbb}")
    line = ET.SubElement(style, "LineStyle")
    ET.SubElement(line, "color").text = _LINE_ALPHA + bbggrr
    ET.SubElement(line, "width").text = "1.5"
    ET.SubElement(ET.SubElement(style, "PolyStyle"), "color").text = _FILL_ALPHA + bbggrr


def _schema(doc: ET.Element, layer: Layer) -> None:
    schema = ET.SubElement(doc, "Schema", name=layer.name, id=layer.name)
    for name, kind in layer.fields.items():
        if name != "name":  # the Placemark's own <name>
            ET.SubElement(schema, "SimpleField", name=name, type=_KML_TYPES[kind])


def _placemark(folder: ET.Element, layer: Layer, record: dict[str, Any], geom: Any) -> None:
    mark = ET.SubElement(folder, "Placemark")
    ET.SubElement(mark, "name").text = clean(record.get("name", ""))
    if "colour" in record:
        ET.SubElement(mark, "styleUrl").text = f"#c{_colour(record['colour'])}"
    data = ET.SubElement(ET.SubElement(mark, "ExtendedData"), "SchemaData",
                         schemaUrl=f"#{layer.name}")  # fmt: skip
    for name, kind in layer.fields.items():
        value = record[name]
        if name == "name" or pd.isna(value) or (kind == "float" and not np.isfinite(value)):
            continue  # KML has no null: a missing value is left out
        text = str(int(bool(value))) if kind == "bool" else clean(_number(value, kind))
        ET.SubElement(data, "SimpleData", name=name).text = text
    _geometry(mark, geom)


def _number(value: Any, kind: str) -> object:
    if kind == "float":
        return repr(float(value))  # shortest text that reads back as the same double
    if kind == "int":
        return int(value)
    return value


def _geometry(parent: ET.Element, geom: Any) -> None:
    polygons = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    holder = ET.SubElement(parent, "MultiGeometry") if len(polygons) != 1 else parent
    for poly in polygons:
        el = ET.SubElement(holder, "Polygon")
        _ring(ET.SubElement(el, "outerBoundaryIs"), poly.exterior)
        for hole in poly.interiors:
            _ring(ET.SubElement(el, "innerBoundaryIs"), hole)


def _ring(parent: ET.Element, ring: Any) -> None:
    coords = shapely.get_coordinates(ring)
    text = " ".join(f"{float(x)!r},{float(y)!r}" for x, y in coords)
    ET.SubElement(ET.SubElement(parent, "LinearRing"), "coordinates").text = text
