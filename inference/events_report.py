"""``conflict-events events --report DIR``: look at the records before reading them.

- ``timeline-<place>-<role>.png``: one per place and role (the :data:`MAX_TIMELINES` with most
  sources): each record a bar over its period at the height of its figure (log scale), hatched
  when cumulative, red when conflicting, labelled with the figure and its number of sources.
- ``map.png``: records at their coordinates, points sized by figure, labelled by place. No tile
  server or network: a plain longitude/latitude scatter (no country outlines: none ship offline).
- ``index.html``: every record with its cited sentences, the figure and the place highlighted.

Needs matplotlib (in the ``[train]`` extra, or ``pip install matplotlib``); the HTML page does not.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

MAX_TIMELINES = 24
COLOURS = {"displaced": "#1f77b4", "killed": "#d62728", "injured": "#ff7f0e"}


def write_report(records: list[dict[str, Any]], folder: str | Path) -> list[Path]:
    """Write the report files; returns their paths (plots skipped, and said, without matplotlib)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [_write_html(records, folder / "index.html")]
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        note = folder / "PLOTS-MISSING.txt"
        note.write_text(
            "Plots need matplotlib: pip install matplotlib (or the [train] extra).\n",
            encoding="utf-8",
        )
        return [*written, note]
    written += _write_timelines(records, folder)
    written.append(_write_map(records, folder / "map.png"))
    return written


def _label(r: dict[str, Any]) -> str:
    if r.get("value") is not None:
        figure = f"{r['value']:,.0f}"
    else:
        figure = f"{r.get('low') or '?'}-{r.get('high') or ''}"
    return f"{figure} {r['role']}{' (cumulative)' if r.get('cumulative') else ''}"


def _place_label(r: dict[str, Any]) -> str:
    name = r.get("place_text") or r.get("place_name") or "unplaced"
    if r.get("place_name") and r.get("place_text") and r["place_text"] != r["place_name"]:
        name = f"{r['place_text']} ({r['place_name']})"
    return f"{name}, {r['country']}" if r.get("country") else name


def _figure(r: dict[str, Any]) -> float | None:
    return r.get("value") if r.get("value") is not None else r.get("low")


def _write_timelines(records: list[dict[str, Any]], folder: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r.get("period_start") and _figure(r):
            groups[(_place_label(r), r["role"])].append(r)
    ranked = sorted(groups.items(), key=lambda kv: -sum(r["sources"] for r in kv[1]))
    written = []
    for (place, role), members in ranked[:MAX_TIMELINES]:
        fig, ax = plt.subplots(figsize=(8, 0.6 + 0.45 * len(members)))
        for y, r in enumerate(sorted(members, key=lambda r: r["period_start"])):
            start = date.fromisoformat(r["period_start"])
            end = date.fromisoformat(r["period_end"]) + timedelta(days=1)
            ax.barh(
                y,
                (end - start).days,
                left=start,
                color="#c0392b" if r.get("conflicting") else COLOURS.get(role, "#555555"),
                hatch="//" if r.get("cumulative") else None,
                alpha=0.8,
            )
            ax.text(end, y, f" {_label(r)} · {r['sources']} source(s)", va="center", fontsize=8)
        starts = [date.fromisoformat(r["period_start"]) for r in members]
        ends = [date.fromisoformat(r["period_end"]) + timedelta(days=1) for r in members]
        span = max((max(ends) - min(starts)).days, 1)
        # Room on the right for the labels, which start where their bar ends.
        ax.set_xlim(
            min(starts) - timedelta(days=span * 0.02 + 1),
            max(ends) + timedelta(days=span * 0.9 + 3),
        )
        ax.set_yticks([])
        ax.set_title(f"{role} in {place}", fontsize=10)
        fig.autofmt_xdate()
        fig.tight_layout()
        path = folder / f"timeline-{_slug(place)}-{_slug(role)}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def _write_map(records: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib.pyplot as plt

    placed = [r for r in records if r.get("latitude") is not None and _figure(r)]
    fig, ax = plt.subplots(figsize=(9, 6))
    names: dict[tuple[float, float], list[str]] = defaultdict(list)
    for r in sorted(placed, key=lambda r: -(_figure(r) or 0)):
        size = 20 + 6 * math.sqrt(_figure(r) or 0) ** 0.8
        colour = COLOURS.get(r["role"], "#555555")
        ax.scatter(r["longitude"], r["latitude"], s=size, alpha=0.45, color=colour, edgecolor="k")
        name = r.get("place_text") or r.get("place_name")
        point = (r["longitude"], r["latitude"])
        if name not in names[point]:
            names[point].append(name)
    # Places sharing a point (a village placed at its division) share one label.
    for point, labels in names.items():
        ax.annotate(", ".join(labels), point, fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.margins(0.15)
    for role, colour in COLOURS.items():
        ax.scatter([], [], color=colour, label=role)
    ax.legend(loc="best", fontsize=8)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(f"{len(placed)} records (point area ~ figure; no basemap offline)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _highlight(citation: dict[str, Any]) -> str:
    """The cited sentence with the figure (<mark>) and the place (<b>) highlighted."""
    text = citation.get("sentence_text") or ""
    start = citation["start"] - citation["sentence_start"]
    end = citation["end"] - citation["sentence_start"]
    spans = [(start, end, "mark")]
    place = citation.get("place_text")
    if place:
        found = text.find(place)
        if found >= 0 and (found + len(place) <= start or found >= end):
            spans.append((found, found + len(place), "b"))
    out, cursor = [], 0
    for s, e, tag in sorted(spans):
        out += [html.escape(text[cursor:s]), f"<{tag}>", html.escape(text[s:e]), f"</{tag}>"]
        cursor = e
    out.append(html.escape(text[cursor:]))
    return "".join(out)


def _write_html(records: list[dict[str, Any]], path: Path) -> Path:
    rows = []
    for r in records:
        period = f"{r.get('period_start') or '?'} – {r.get('period_end') or '?'}"
        flags = []
        if r.get("cumulative"):
            flags.append("cumulative")
        if r.get("conflicting"):
            flags.append("conflicting with " + ", ".join(r["conflicts_with"]))
        cites = "".join(
            f"<li><code>{html.escape(str(c['doc_id']))}</code> #{c['sentence']}: {_highlight(c)}</li>"
            for c in r["citations"]
        )
        note = f"<br><small>{html.escape(r['place_note'])}</small>" if r.get("place_note") else ""
        rows.append(
            f"<tr id='{r['record_id']}' class='{'conflict' if r.get('conflicting') else ''}'>"
            f"<td>{html.escape(_label(r))}<br><small>{html.escape(str(r.get('qualifier')))}"
            f" {html.escape(str(r.get('unit') or ''))}</small></td>"
            f"<td>{html.escape(_place_label(r))}{note}</td><td>{period}<br><small>"
            f"{html.escape(str(r.get('date_source')))}</small></td><td>{r['sources']}</td>"
            f"<td>{html.escape('; '.join(flags))}</td><td><ul>{cites}</ul></td></tr>"
        )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Event records</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; font-size: 14px; }}
tr.conflict {{ background: #fdecea; }} mark {{ background: #ffe066; }} b {{ color: #0b5394; }}
ul {{ margin: 0; padding-left: 1.2em; }}
</style></head><body>
<h1>{len(records)} event records</h1>
<p>Figure highlighted, place in bold. Timelines and the map: the PNG files beside this page.</p>
<table><tr><th>figure</th><th>place</th><th>period</th><th>sources</th><th>flags</th><th>citations</th></tr>
{"".join(rows)}
</table></body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "unplaced"
