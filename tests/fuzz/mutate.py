"""Seeded mutations of valid import files: what careless exports, editors and attackers produce.

``mutate(kind, data, rng)`` applies one to three operators chosen for the file's format: bytes
(flips, cuts, splices, junk), CSV text (ragged rows, stray quotes, odd values, other encodings,
huge headers), XLSX (cells, damaged XML, declared dimensions, far cells, missing parts, zip
damage) and GeoJSON (NaN/Infinity/1e308 coordinates, wrong types, broken rings, odd properties).
The same seed always gives the same file, so any failing case can be replayed.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable

Op = Callable[[bytes, random.Random], bytes]

#: Cell values that have broken importers somewhere: non-finite and absurd numbers, spreadsheet
#: errors, formulas, control characters, quotes, separators, long and non-Latin text.
SPECIAL = [
    "", " ", "NaN", "nan", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e400", "-1",
    "99999999999999999999999", "0", "0.0000001", "1,2", "1.2.3", "$", "(5)", "#DIV/0!", "#N/A",
    "#VALUE!", "=1+1", "=HYPERLINK(\"http://x\")", "@SUM(1)", "\x00", "\x07", "\u2028", "\ufeff",
    "A" * 300, "B" * 5000, "C" * 40_000, "😀" * 10, "名称", "é", '"', "'", ",", ";", "\n", "\r",
    "\t", "null", "None", "true", "2024-02-30", "9999-12-31", "0000-00-00", "-0", "1e-400",
]  # fmt: skip
NUMBERS = ["NaN", "Infinity", "-Infinity", "1e308", "-1e308", "1e400", "500", "-500", "91", "0",
           "-0", "1e-320", "123456789012345678901234567890", "null", '"1"', "[]", "{}"]  # fmt: skip


# -- bytes -----------------------------------------------------------------------------------
def flip(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if b:
            b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def cut(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def splice(data: bytes, rng: random.Random) -> bytes:
    i, j = sorted(rng.randrange(len(data) + 1) for _ in range(2))
    k = rng.randrange(len(data) + 1)
    return data[:k] + data[i:j] * rng.choice([1, 2, 50]) + data[k:]


def delete(data: bytes, rng: random.Random) -> bytes:
    i, j = sorted(rng.randrange(len(data) + 1) for _ in range(2))
    return data[:i] + data[j:]


def junk(data: bytes, rng: random.Random) -> bytes:
    k = rng.randrange(len(data) + 1)
    noise = rng.choice([rng.randbytes(rng.randint(1, 64)), b"\x00" * 10, b"\xff\xfe", b"\r"])
    return data[:k] + noise + data[k:]


def binary(data: bytes, rng: random.Random) -> bytes:
    return rng.choice([b"", b"\n", rng.randbytes(rng.randint(1, 4000)), b"PK\x03\x04" + data[:20]])


BYTE_OPS: list[Op] = [flip, cut, splice, delete, junk, binary]


# -- CSV text --------------------------------------------------------------------------------
def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").split("\n")


def _join(lines: list[str]) -> bytes:
    return "\n".join(lines).encode("utf-8")


def trailing_commas(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    start = rng.choice([0, 1])
    every = rng.random() < 0.5
    return _join([ln + "," if ln and i >= start and (every or rng.random() < 0.2) else ln
                  for i, ln in enumerate(lines)])  # fmt: skip


def ragged(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    cells = lines[i].split(",")
    if rng.random() < 0.5 and len(cells) > 1:
        cells.pop(rng.randrange(len(cells)))
    else:
        cells.insert(rng.randrange(len(cells) + 1), rng.choice(SPECIAL[:20]))
    lines[i] = ",".join(cells)
    return _join(lines)


def cell(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        cells = lines[i].split(",")
        j = rng.randrange(len(cells))
        value = rng.choice(SPECIAL)
        cells[j] = f'"{value}"' if rng.random() < 0.5 else value
        lines[i] = ",".join(cells)
    return _join(lines)


def quote(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", "replace")
    k = rng.randrange(len(text) + 1)
    return (text[:k] + rng.choice(['"', '""', '"x"y', "'"]) + text[k:]).encode("utf-8")


def encode(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", "replace") + rng.choice(["", "é,ü\n", "名称,客户\n"])
    codec = rng.choice(["utf-16", "utf-16-le", "utf-8-sig", "gb18030", "cp1252", "latin-1",
                        "shift_jis", "utf-32"])  # fmt: skip
    return text.encode(codec, "replace")


def header(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    choice = rng.randrange(5)
    if choice == 0:
        lines.pop(0)
    elif choice == 1:
        lines.insert(1, lines[0])
    elif choice == 2:
        lines[0] = lines[0] + "," + ",".join(f"c{i}" for i in range(rng.choice([5, 1500])))
    elif choice == 3:
        names = lines[0].split(",")
        rng.shuffle(names)
        lines[0] = ",".join(names)
    else:
        lines[0] = lines[0].upper().replace("_", " ")
    return _join(lines)


def layout(data: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:
        return data.replace(b"\n", b"\r")
    if choice == 1:
        return data.replace(b"\n", b"\n\n")
    if choice == 2:
        return data.replace(b",", rng.choice([b";", b"\t", b"|"]))
    lines = _lines(data)
    lines.insert(rng.randrange(len(lines) + 1), "x" * rng.choice([10_000, 1_100_000]))
    return _join(lines)


CSV_OPS: list[Op] = [trailing_commas, ragged, cell, cell, quote, encode, header, layout]


# -- XLSX ------------------------------------------------------------------------------------
def _parts(data: bytes) -> dict[str, bytes] | None:
    """The parts of a zip, or None when an earlier mutation damaged it beyond reading."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return {n: z.read(n) for n in z.namelist()}
    except Exception:  # zipfile and zlib raise many types for damaged archives
        return None


def rezip(parts: dict[str, bytes]) -> bytes:
    """A zip of ``parts`` with fixed timestamps: the same parts always give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, part in parts.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), part)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def _sheet(data: bytes, change: Callable[[str, random.Random], str], rng: random.Random) -> bytes:
    parts = _parts(data)
    if parts is None:
        return data
    if SHEET in parts:
        parts[SHEET] = change(parts[SHEET].decode("utf-8", "replace"), rng).encode("utf-8")
    return rezip(parts)


def xlsx_cell(data: bytes, rng: random.Random) -> bytes:
    def change(xml: str, rng: random.Random) -> str:
        found = list(re.finditer(r"<t>[^<]*</t>|<v>[^<]*</v>", xml))
        if not found:
            return xml
        m = rng.choice(found)
        value = rng.choice(SPECIAL).replace("&", "&amp;").replace("<", "&lt;")
        tag = m.group(0)[:3]
        return xml[: m.start()] + f"{tag}{value}</{tag[1:]}" + xml[m.end() :]

    return _sheet(data, change, rng)


def xlsx_error(data: bytes, rng: random.Random) -> bytes:
    def change(xml: str, rng: random.Random) -> str:
        err = rng.choice(["#DIV/0!", "#N/A", "#REF!", "#VALUE!"])
        return re.sub(r'<c r="([A-Z]+\d+)" t="n"><v>[^<]*</v>',
                      rf'<c r="\1" t="e"><v>{err}</v>', xml, count=rng.randint(1, 3))  # fmt: skip

    return _sheet(data, change, rng)


def xlsx_far(data: bytes, rng: random.Random) -> bytes:
    def change(xml: str, rng: random.Random) -> str:
        ref = rng.choice(["XFD1048576", "XFD2", "ALM2", "A1048576", "ZZZ3", "A99999999"])
        row = re.sub(r"\D", "", ref)
        xml = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:{ref}"', xml)
        far = f'<row r="{row}"><c r="{ref}" t="n"><v>1</v></c></row>'
        return xml.replace("</sheetData>", far + "</sheetData>") if rng.random() < 0.8 else xml

    return _sheet(data, change, rng)


def xlsx_xml(data: bytes, rng: random.Random) -> bytes:
    def change(xml: str, rng: random.Random) -> str:
        k = rng.randrange(len(xml) + 1)
        return (
            xml[:k]
            + rng.choice(["<", "</row>", "<c r=", "&bogus;", "\x00", "]]>", ""])
            + xml[k + rng.randint(0, 30) :]
        )

    return _sheet(data, change, rng)


def xlsx_part(data: bytes, rng: random.Random) -> bytes:
    parts = _parts(data)
    if not parts:
        return data
    name = rng.choice(sorted(parts))
    if rng.random() < 0.5:
        del parts[name]
    else:
        parts[name] = parts[name][: rng.randrange(len(parts[name]) + 1)]
    return rezip(parts)


XLSX_OPS: list[Op] = [xlsx_cell, xlsx_cell, xlsx_error, xlsx_far, xlsx_xml, xlsx_part, flip, cut]


# -- GeoJSON ---------------------------------------------------------------------------------
_NUMBER = re.compile(rb"-?\d+\.?\d*(?:[eE][-+]?\d+)?")


def geo_number(data: bytes, rng: random.Random) -> bytes:
    found = list(_NUMBER.finditer(data))
    for m in rng.sample(found, min(len(found), rng.randint(1, 3))):
        value = rng.choice(NUMBERS).encode()
        data = data[: m.start()] + value.ljust(m.end() - m.start()) + data[m.end() :]
    return data


def geo_structure(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", "replace")
    swaps = [('"Polygon"', rng.choice(['"Point"', '"LineString"', '"Blob"', '"MultiPolygon"',
                                       "null", '"GeometryCollection"'])),
             ('"geometry"', '"geometri"'), ('"features"', '"featurez"'),
             ('"FeatureCollection"', '"Feature"'), ('"properties": {', '"properties": {"x": 1, '),
             ("[[[", "[["), ("]]]", "]]"), ('"coordinates"', '"coordinate"')]  # fmt: skip
    old, new = rng.choice(swaps)
    return text.replace(old, new, rng.choice([1, -1])).encode("utf-8")


def _replace_one(data: bytes, pattern: str, rng: random.Random, replacement: str) -> bytes:
    """``data`` with one match of ``pattern``, chosen at random, replaced (none: unchanged)."""
    text = data.decode("utf-8", "replace")
    found = list(re.finditer(pattern, text))
    if not found:
        return data
    m = rng.choice(found)
    return (text[: m.start()] + replacement + text[m.end() :]).encode("utf-8")


def geo_property(data: bytes, rng: random.Random) -> bytes:
    value = rng.choice(['"' + "X" * rng.choice([65, 201, 40_000]) + '"', "NaN", "Infinity",
                        "1e308", "null", "[1, 2]", '{"a": 1}', '""', '"\\u0000"', "true",
                        '"#N/A"', '"=cmd|x"', "-1"])  # fmt: skip
    return _replace_one(data, r'": ("[^"]*"|-?\d[\d.e+-]*)', rng, '": ' + value)


def geo_ring(data: bytes, rng: random.Random) -> bytes:
    """A ring loses its closing point (GDAL warns and GEOS refuses it)."""
    return _replace_one(data, r",\s*\[\s*-?[\d.]+,\s*-?[\d.]+\s*\]\s*\]", rng, "]")


def geo_crs(data: bytes, rng: random.Random) -> bytes:
    """A stated CRS: projected (the lon/lat numbers then land near 0,0), unknown or garbage."""
    crs = rng.choice(["EPSG:3857", "EPSG:2154", "EPSG:99999", "urn:ogc:def:crs:EPSG::4326",
                      "garbage", "", "EPSG:4326x", "+proj=longlat +a=1"])  # fmt: skip
    member = f'"crs": {{"type": "name", "properties": {{"name": "{crs}"}}}}, '
    return data.replace(b'"FeatureCollection",', b'"FeatureCollection", ' + member.encode(), 1)


GEO_OPS: list[Op] = [geo_number, geo_number, geo_structure, geo_property, geo_ring, geo_crs,
                     cut, flip]  # fmt: skip


def mutate(kind: str, data: bytes, rng: random.Random) -> bytes:
    """``data`` after one to three operators suited to ``kind``'s format (and now and then a
    plain byte-level one)."""
    ops = XLSX_OPS if kind.endswith("xlsx") else GEO_OPS if kind.endswith("geojson") else CSV_OPS
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        op = rng.choice(BYTE_OPS) if rng.random() < 0.15 else rng.choice(ops)
        data = op(data, rng) if data else binary(data, rng)
    return data
