"""Build resources/data/us_zip_centroids.csv.gz, the ZIP centroids of ``import-units --us-zips``.

Run by a developer when the ZIP data should be refreshed (the ``zipcodes`` package, MIT, which
the app already depends on to locate accounts by ZIP)::

    python scripts/build_zip_centroids.py

Writes one row per US ZIP code with a location (military APO/FPO ZIPs have none worth the
name and are left out): ``zip,lon,lat``, sorted by ZIP, coordinates as the package gives them
(4 decimals, about 11 m). The coordinates come from GeoNames (CC BY 4.0) through the package;
resources/data/README.md carries the attribution. Deterministic: same package version, same
bytes (gzip with mtime 0).
"""

from __future__ import annotations

from importlib import metadata

from build_demo_data import OUT, _write_gz

ZIP_FILE = "us_zip_centroids.csv.gz"


def rows() -> list[tuple[str, str, str]]:
    import zipcodes

    out = []
    for z in zipcodes.list_all():
        if z["zip_code_type"] == "MILITARY" or not z["lat"] or not z["long"]:
            continue
        lon, lat = float(z["long"]), float(z["lat"])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90) or (lon == 0 and lat == 0):
            continue
        out.append((z["zip_code"], f"{lon:.4f}", f"{lat:.4f}"))
    return sorted(out)


def main() -> None:
    table = rows()
    text = "zip,lon,lat\n" + "".join(f"{z},{x},{y}\n" for z, x, y in table)
    path = OUT / ZIP_FILE
    _write_gz(path, text)
    version = metadata.version("zipcodes")
    print(f"wrote {path.name}: {len(table):,} ZIPs from zipcodes {version}, "
          f"{path.stat().st_size / 1e3:.0f} kB")  # fmt: skip


if __name__ == "__main__":
    main()
