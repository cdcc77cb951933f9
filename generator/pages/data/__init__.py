"""Hand-entered, cited data files that pages draw (see README.md in this folder)."""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent
ILSVRC_CSV = HERE / "ilsvrc_depth.csv"
ILSVRC_FIELDS = ("year", "entry", "place", "depth_layers", "top5_error_pct", "source", "url")


class DataFileError(ValueError):
    """A page data file is malformed (a missing source, a bad number)."""


def load_ilsvrc(path: Path = ILSVRC_CSV) -> list[dict]:
    """Rows of ``ilsvrc_depth.csv`` with typed values, in file order.

    ``depth_layers`` is ``None`` where the file leaves it empty (no primary source).
    Every row must name its source; numbers must parse and be positive.
    """
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != ILSVRC_FIELDS:
            raise DataFileError(f"{path.name}: expected columns {', '.join(ILSVRC_FIELDS)}. "
                                f"Received: {reader.fieldnames}")
        rows = []
        for line, raw in enumerate(reader, start=2):
            where = f"{path.name} line {line}"
            if not (raw["source"] or "").strip():
                raise DataFileError(f"{where}: every row needs a source. Received: entry={raw['entry']!r}")
            try:
                depth = raw["depth_layers"].strip()
                row = {
                    "year": int(raw["year"]),
                    "entry": raw["entry"].strip(),
                    "place": int(raw["place"]),
                    "depth_layers": int(depth) if depth else None,
                    "top5_error_pct": float(raw["top5_error_pct"]),
                    "source": raw["source"].strip(),
                    "url": (raw["url"] or "").strip(),
                }
            except (TypeError, ValueError, AttributeError) as exc:
                raise DataFileError(f"{where}: {exc}") from None
            if not row["entry"] or row["place"] < 1 or row["top5_error_pct"] <= 0 or \
                    (row["depth_layers"] is not None and row["depth_layers"] < 1):
                raise DataFileError(f"{where}: expected an entry name, place >= 1, error > 0 and "
                                    f"depth >= 1 or empty. Received: {raw}")
            rows.append(row)
    if not rows:
        raise DataFileError(f"{path.name}: no rows")
    return rows
