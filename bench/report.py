"""Side-by-side report of one product run and the peers' figures, as Markdown.

    python3 bench/report.py bench/run/product-<UTC>.txt [PEERS_RAW]

PEERS_RAW defaults to ``bench/peers-recorded.txt`` (the raw lines of the peers' recorded run,
copied from ../shared/peers/RESULTS-peers.md). Medians over the kept runs of each cell, as
lib.sh's table. Ratios: product req/s / Wagtail req/s at the same N (list p1, last page,
detail), the revalidation (304) against nginx serving a static file with a new connection per
request, and every N against N=1000 of the same cache mode. Then the issue's targets.
"""

from __future__ import annotations

import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRODUCT = re.compile(r"^product N=(\d+)( uncached)? (.+)$")
WAGTAIL = re.compile(r"^wagtail N=(\d+) (list p1|list deep|detail)")
PEER_OF = {"list p1": "list p1", "list deep": "list deep", "detail id": "detail"}
PEER_OF["detail slug"] = PEER_OF["detail rotating"] = "detail"
NGINX_CLOSE = "static nginx list (conn close)"
ORDER = (
    "list p1",
    "list deep",
    "detail id",
    "detail slug",
    "people list",
    "list include",
    "feed rss",
    "list p1 304",
    "list rotating",
    "detail rotating",
)
TARGET_RATIO, TARGET_SCALE, TARGET_304, TARGET_P99 = 20.0, 0.8, 0.15, 50.0


def _kv(line: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", line))


def _endpoint(rest: str) -> str:
    return re.sub(r"^list deep p\d+", "list deep", rest)


def read_results(path: Path) -> dict[str, list[dict[str, str]]]:
    """RESULT lines by cell name (the kept ones: '#noisy' lines are skipped)."""
    cells: dict[str, list[dict[str, str]]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("RESULT ") or " error=" in line:
            continue
        name = re.search(r"name=(.*?) url=", line)
        if name:
            cells[name.group(1)].append(_kv(line.split(" url=", 1)[1]))
    return cells


def median(runs: list[dict[str, str]], key: str) -> float | None:
    values = [float(r[key]) for r in runs if key in r]
    return statistics.median(values) if values else None


def alone_estimate(runs: list[dict[str, str]]) -> float | None:
    """req/s the server would have had with the machine to itself (wrk aside): measured req/s
    scaled by the CPU share it got. An estimate for runs that other processes disturbed; it
    assumes the server is CPU-bound, which 2 sync workers under 32 connections are."""
    values = []
    for r in runs:
        server, wrk = float(r.get("server_cpu_pct", 0)), float(r.get("wrk_cpu_pct", 0))
        if server > 0:
            values.append(float(r["rps"]) * max(1.0, (100 - wrk) / server))
    return statistics.median(values) if values else None


def split_conns(runs: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(runs at the highest connection count, runs at the lowest)."""
    conns = sorted({int(r["conns"]) for r in runs})
    if not conns:
        return [], []
    hi = [r for r in runs if int(r["conns"]) == conns[-1]]
    lo = [r for r in runs if int(r["conns"]) == conns[0]] if len(conns) > 1 else []
    return hi, lo


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or not b:
        return "–"
    return f"{a / b:,.1f}×" if a / b >= 10 else f"{a / b:,.2f}×"


def product_cells(
    cells: dict[str, list[dict[str, str]]],
) -> dict[tuple[int, str], dict[str, list[dict[str, str]]]]:
    """{(N, mode): {endpoint: runs}}; mode is 'cached' or 'uncached'."""
    out: dict[tuple[int, str], dict[str, list[dict[str, str]]]] = defaultdict(dict)
    for name, runs in cells.items():
        m = PRODUCT.match(name)
        if m:
            mode = "uncached" if m.group(2) else "cached"
            out[(int(m.group(1)), mode)][_endpoint(m.group(3))] = runs
    return out


def peer_cells(cells: dict[str, list[dict[str, str]]]) -> dict[tuple[int, str], float | None]:
    out: dict[tuple[int, str], float | None] = {}
    for name, runs in cells.items():
        m = WAGTAIL.match(name)
        if m:
            out[(int(m.group(1)), m.group(2))] = median(split_conns(runs)[0], "rps")
    return out


def read_tagged(path: Path, tag: str) -> list[dict[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(tag + " "):
            name = re.search(r"name=(.*?) (?:path|phase)=", line)
            row = _kv(line)
            row["name"] = name.group(1) if name else ""
            rows.append(row)
    return rows


def header_lines(path: Path) -> list[str]:
    return [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(("# run-", "# versions", "# commit", "# machine", "# skipped"))
    ]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    raw = Path(argv[1])
    peers_raw = Path(argv[2]) if len(argv) > 2 else HERE / "peers-recorded.txt"
    product = product_cells(read_results(raw))
    peer_results = read_results(peers_raw) if peers_raw.exists() else {}
    wagtail = peer_cells(peer_results)
    nginx_close = median(split_conns(peer_results.get(NGINX_CLOSE, []))[0], "rps")
    queries: dict[tuple[int, str], dict[str, str]] = {}
    for row in read_tagged(raw, "QUERIES"):
        m = PRODUCT.match(row["name"])
        if m:
            queries[(int(m.group(1)), _endpoint(m.group(3)))] = row
    out: list[str] = []
    say = out.append
    say(f"Product run `{raw.name}` against peers `{peers_raw.name}`.")
    say("")
    for line in header_lines(raw):
        say(f"    {line}")
    say("")
    say(
        "req/s and latency (ms): median of the kept runs; c32 = throughput at 32 connections, "
        "c2 = 2 connections (service time). SQL = statements per request (cold: full read "
        "path / warm: response-cache hit), in-process ms the same (Flask test client, one "
        "thread). Wagtail and nginx: same machine, same load.sh settings. other% = the largest "
        "CPU share (100 = both cores) other processes took during a run of the cell; 'alone "
        "(est.)' scales each c32 run by the CPU share the server got (an estimate, only "
        "meaningful when other% is high); ratios use the measured req/s."
    )
    base_rps: dict[tuple[str, str], float | None] = {}
    for (n, mode), endpoints in sorted(product.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        say("")
        say(f"### N = {n:,}, {mode}")
        say("")
        say(
            "| endpoint | req/s c32 | p50 c32 | p99 c32 | req/s c2 | p99 c2 | other% | "
            "req/s c32 alone (est.) | body B | SQL cold/warm | in-proc ms cold/warm | "
            "Wagtail req/s | × Wagtail | × N=1000 |"
        )
        say("| --- |" + " ---: |" * 13)
        for endpoint in ORDER:
            runs = endpoints.get(endpoint)
            if runs is None:
                continue
            hi, lo = split_conns(runs)
            rps = median(hi, "rps")
            if n == 1000:
                base_rps[(mode, endpoint)] = rps
            if endpoint.endswith("304"):
                peer, peer_label = nginx_close, "nginx close"
            else:
                peer = wagtail.get((n, PEER_OF.get(endpoint, "")))
                peer_label = fmt(peer)
            q = queries.get((n, endpoint), {})
            sql = f"{q.get('queries_cold', '–')}/{q.get('queries_warm', '–')}"
            inproc = f"{q.get('inproc_cold_ms', '–')}/{q.get('inproc_warm_ms', '–')}"
            status = runs[0].get("status", "?")
            body = runs[0].get("body_bytes", "?")
            say(
                f"| {endpoint}{'' if status in ('200', '304') else f' ({status})'} "
                f"| {fmt(rps)} | {fmt(median(hi, 'p50_ms'))} | {fmt(median(hi, 'p99_ms'))} "
                f"| {fmt(median(lo, 'rps'))} | {fmt(median(lo, 'p99_ms'))} "
                f"| {max(int(r.get('other_cpu_pct', 0)) for r in runs)} "
                f"| {fmt(alone_estimate(hi))} | {body} | {sql} "
                f"| {inproc} | {peer_label if peer is not None else '–'} "
                f"| {ratio(rps, peer)} | {ratio(rps, base_rps.get((mode, endpoint)))} |"
            )
    say("")
    say("### Worker memory (VmRSS per gunicorn worker, MiB)")
    say("")
    say(
        "After the issue's cells = after list … 304; the rotating cells (cached mode) then fill "
        "the byte-bounded response cache with distinct URLs."
    )
    say("")
    say(
        "| run | start | after warm-up | after the issue's cells | after rotating "
        "| growth in cells |"
    )
    say("| --- | ---: | ---: | ---: | ---: | ---: |")
    mem: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for row in read_tagged(raw, "MEM"):
        mem[row["name"]][row["phase"]].append(int(row["rss_kb"]))

    def mib(values: list[int]) -> str:
        return " / ".join(f"{v / 1024:.1f}" for v in values) or "–"

    for name, phases in mem.items():
        cells = phases["cells"] if "cells" in phases else phases["end"]
        rotated = phases["end"] if "cells" in phases else []
        growth = [c - w for w, c in zip(phases["warm"], cells, strict=False)]
        say(
            f"| {name} | {mib(phases['start'])} | {mib(phases['warm'])} | {mib(cells)} "
            f"| {mib(rotated)} | {' / '.join(f'{d / 1024:+.1f}' for d in growth) or '–'} |"
        )
    say("")
    say(targets(product, wagtail, nginx_close))
    print("\n".join(out))
    return 0


def targets(
    product: dict[tuple[int, str], dict[str, list[dict[str, str]]]],
    wagtail: dict[tuple[int, str], float | None],
    nginx_close: float | None,
) -> str:
    """The issue's targets, checked against the default (cached) configuration."""
    lines = ["### Targets (default configuration, c32)", ""]

    def rps(n: int, endpoint: str, mode: str = "cached") -> float | None:
        runs = product.get((n, mode), {}).get(endpoint)
        return median(split_conns(runs)[0], "rps") if runs else None

    def check(ok: bool | None) -> str:
        return "–" if ok is None else ("met" if ok else "NOT met")

    for endpoint, peer in (("list p1", "list p1"), ("detail id", "detail")):
        mine, theirs = rps(1000, endpoint), wagtail.get((1000, peer))
        ok = None if mine is None or not theirs else mine >= TARGET_RATIO * theirs
        lines.append(
            f"- {endpoint} at N=1,000 ≥ {TARGET_RATIO:.0f}× Wagtail: {fmt(mine)} vs "
            f"{fmt(theirs)} req/s = {ratio(mine, theirs)}: {check(ok)}"
        )
    for endpoint in ("list p1", "list deep", "detail id"):
        small, big = rps(1000, endpoint), rps(100000, endpoint)
        ok = None if small is None or big is None else big >= TARGET_SCALE * small
        lines.append(
            f"- {endpoint} at N=100,000 ≥ {TARGET_SCALE:.0%} of N=1,000: {fmt(big)} vs "
            f"{fmt(small)} req/s = {ratio(big, small)}: {check(ok)}"
        )
    for n in sorted({n for n, _mode in product}):
        mine = rps(n, "list p1 304")
        ok = None if mine is None or not nginx_close else mine >= TARGET_304 * nginx_close
        lines.append(
            f"- 304 at N={n:,} ≥ {TARGET_304:.0%} of nginx conn-close ({fmt(nginx_close)}): "
            f"{fmt(mine)} req/s = {ratio(mine, nginx_close)}: {check(ok)}"
        )
    worst: list[tuple[float, str]] = []
    for (n, mode), endpoints in product.items():
        if mode != "cached":
            continue
        for endpoint, runs in endpoints.items():
            if endpoint.endswith("rotating"):
                continue  # not one of the cells (shown for cache misses)
            p99 = median(split_conns(runs)[0], "p99_ms")
            if p99 is not None:
                worst.append((p99, f"N={n:,} {endpoint}"))
    if worst:
        over = [w for w in worst if w[0] > TARGET_P99]
        top = max(worst)
        lines.append(
            f"- p99 ≤ {TARGET_P99:.0f} ms at c32: worst {top[0]:.1f} ms ({top[1]}); "
            f"{len(over)} of {len(worst)} cells over: {check(not over)}"
        )
    for n in sorted({n for n, _mode in product}):
        rotating, wagtail_detail = rps(n, "detail rotating"), wagtail.get((n, "detail"))
        if rotating is not None:
            lines.append(
                f"- (not a target) detail rotating over all items at N={n:,}, i.e. mostly "
                f"cache misses once they outgrow the cache: {fmt(rotating)} req/s = "
                f"{ratio(rotating, wagtail_detail)} Wagtail's detail"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
