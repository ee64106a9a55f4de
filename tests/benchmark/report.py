"""The results table, the ours/moto ratios and the JSON file."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tests.benchmark.scenarios import Measurement

COMPARED = ("CreateHostedZone", "ListHostedZones", "ListHostedZones(marker)")


def table(rows: list[Measurement]) -> str:
    """A Markdown table of every measurement."""
    header = [
        "server",
        "operation",
        "zones",
        "concurrency",
        "req/s",
        "p50 ms",
        "p99 ms",
        "requests",
        "errors",
    ]
    lines = [
        [
            r.server,
            r.operation,
            "" if r.zones is None else str(r.zones),
            str(r.concurrency),
            f"{r.rps:.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            str(r.requests),
            str(r.errors) + (f" ({r.note})" if r.note else ""),
        ]
        for r in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=True)]
    numeric = [False, False, True, True, True, True, True, True, False]

    def fmt(cells: list[str]) -> str:
        padded = (c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 1) + (":" if n else "-") for w, n in zip(widths, numeric, strict=True)) + "|"
    return "\n".join([fmt(header), rule, *(fmt(line) for line in lines)])


def ratios(rows: list[Measurement]) -> list[dict[str, Any]]:
    """ours/moto requests per second for each compared operation and concurrency (largest store each)."""
    out = []
    for operation in COMPARED:
        for concurrency in sorted({r.concurrency for r in rows if r.operation == operation}):
            pair = {}
            for server in ("ours", "moto"):
                same = [r for r in rows if (r.server, r.operation, r.concurrency) == (server, operation, concurrency)]
                if same:
                    pair[server] = max(same, key=lambda r: r.zones or 0)
            if len(pair) == 2 and pair["moto"].rps:
                ours, moto = pair["ours"], pair["moto"]
                out.append(
                    {
                        "operation": operation,
                        "concurrency": concurrency,
                        "ours_rps": ours.rps,
                        "moto_rps": moto.rps,
                        "ours_zones": ours.zones,
                        "moto_zones": moto.zones,
                        "ratio": round(ours.rps / moto.rps, 2),
                    }
                )
    return out


def ratio_lines(items: list[dict[str, Any]]) -> str:
    """One line per ratio."""
    lines = []
    for item in items:
        zones = "" if item["ours_zones"] is None else f" (zones: ours {item['ours_zones']}, moto {item['moto_zones']})"
        lines.append(
            f"{item['operation']:24} c={item['concurrency']:<3} ours {item['ours_rps']:8.0f} req/s  "
            f"moto {item['moto_rps']:8.0f} req/s  ours/moto {item['ratio']:6.2f}x{zones}"
        )
    return "\n".join(lines)


def write_json(path: Path, meta: dict[str, Any], rows: list[Measurement], problems: list[str]) -> None:
    """Everything, machine-readable."""
    document = {
        "meta": meta,
        "results": [asdict(r) for r in rows],
        "ratios": ratios(rows),
        "problems": problems,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
