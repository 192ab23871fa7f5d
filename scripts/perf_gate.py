"""Perf gate: benchmark HEAD against a base commit and fail when a benchmark got slower by a factor.

    python scripts/perf_gate.py                          # HEAD vs main, factor 1.3
    python scripts/perf_gate.py --base HEAD~1 --bench "fit|kernels" --factor 1.5

Like ``asv continuous``, but built for a shared, noisy machine: both commits run from their own
trees in this interpreter's environment (``asv_tools``: no build, no network), in alternating
rounds (base, head, base, head, ...) with asv's ``--append-samples``, so a change in the machine's
load lands on both alike; asv's median over all samples is then compared. The results go to a
temporary results directory, never into the dashboard's.

A benchmark got worse when head / base exceeds the factor for times and memory, or base / head
does for the ``track_speedup*`` benchmarks (speed-ups: higher is better); any other ``track_``
value counts as lower is better. The table of every benchmark is printed either way. Exit status:
0 when nothing got worse, 1 when something did (or failed at head but not at the base), 2 on
usage errors.
"""
import argparse
import itertools
import json
import math
import sys
import tempfile
from pathlib import Path

import asv_tools


def higher_is_better(name):
    return name.rsplit(".", 1)[-1].startswith("track_speedup")


def load_results(results_dir, commit):
    """``{(benchmark, params label): value}`` of ``commit`` (value None when it failed or was skipped)."""
    from asv.results import Results

    values = {}
    for path in Path(results_dir).glob(f"*/{commit[:8]}-*.json"):
        results = Results.load(str(path))
        for name in results.get_all_result_keys():
            params = results.get_result_params(name)
            value = results.get_result_value(name, params)
            labels = [", ".join(map(str, combo)) for combo in itertools.product(*params)] if params else [""]
            for label, item in zip(labels, value if params else [value]):
                values[(name, label)] = None if item is None or (isinstance(item, float) and math.isnan(item)) \
                    else item
    return values


def benchmark_units(results_dir):
    """Benchmark name -> unit, from asv's benchmarks.json."""
    with open(Path(results_dir) / "benchmarks.json") as f:
        return {name: info.get("unit", "") for name, info in json.load(f).items() if isinstance(info, dict)}


def human(value, unit):
    if value is None:
        return "failed/skipped"
    if unit == "seconds":
        for scale, suffix in ((1, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
            if abs(value) >= scale or scale == 1e-9:
                return f"{value / scale:.3g} {suffix}"
    if unit == "bytes":
        return f"{value / 2 ** 20:.1f} MiB"
    return f"{value:.3g} {unit}".strip()


def compare(base, head, units, factor):
    """Rows ``(name, params, base, head, worse_by, verdict)``, worst first, and whether any got worse."""
    rows, worse = [], False
    for key in sorted(set(base) | set(head)):
        name, label = key
        before, after = base.get(key), head.get(key)
        if before is None and after is None:
            continue
        if after is None:
            verdict, ratio = "FAILED at head", math.inf
            worse = True
        elif before is None:
            verdict, ratio = "new", math.nan
        else:
            ratio = before / after if higher_is_better(name) else after / before
            verdict = "WORSE" if ratio > factor else "better" if ratio < 1 / factor else ""
            worse |= ratio > factor
        unit = units.get(name, "")
        rows.append((name, label, human(before, unit), human(after, unit), ratio, verdict))
    rows.sort(key=lambda row: -row[4] if not math.isnan(row[4]) else math.inf)
    return rows, worse


def print_table(rows, base, head, factor):
    header = ("benchmark", "params", f"base {base[:8]}", f"head {head[:8]}", "worse by", "")
    lines = [header] + [(name, label, b, h, "-" if math.isnan(r) else "inf" if math.isinf(r) else f"{r:.2f}x", v)
                        for name, label, b, h, r, v in rows]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip())
    print(f"worse by = head/base (base/head for speed-ups): above {factor} fails the gate")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="main", help="commit to compare against (default main)")
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--factor", type=float, default=1.3, help="slow-down that fails (default 1.3)")
    parser.add_argument("--bench", "-b", action="append", default=[], help="regex of benchmarks (asv -b)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per commit (default 2)")
    parser.add_argument("--profile", choices=["fast", "regular"], default="regular",
                        help="benchmark sizes: FASTNN_ASV_PROFILE (default regular)")
    args = parser.parse_args(argv)
    if args.factor <= 1:
        parser.error("--factor must exceed 1")
    base, head = asv_tools.resolve(args.base), asv_tools.resolve(args.head)
    if base == head:
        parser.error(f"base and head are the same commit {base[:8]}")

    asv_tools.ensure_machine()
    with tempfile.TemporaryDirectory(prefix="fastnn-perf-gate-") as work:
        config = Path(work) / "asv.conf.json"
        from asv.util import load_json

        settings = load_json(str(asv_tools.ASV_DIR / "asv.conf.json"), js_comments=True)
        settings.update(repo=str(asv_tools.ROOT), benchmark_dir=str(asv_tools.ASV_DIR / "benchmarks"),
                        results_dir=str(Path(work) / "results"), html_dir=str(Path(work) / "html"),
                        env_dir=str(Path(work) / "env"))
        config.write_text(json.dumps(settings))
        asv_args = [f"--config={config}", "--show-stderr", "--record-samples", "-a", "rounds=1"]
        asv_args += [f"--bench={regex}" for regex in args.bench]
        env = {"FASTNN_ASV_PROFILE": args.profile}
        for round_ in range(args.rounds):
            for commit in (base, head):
                print(f"round {round_ + 1}/{args.rounds}: {commit[:8]}", flush=True)
                extra = ["--append-samples"] if round_ else []
                asv_tools.run_commit(commit, work, *asv_args, *extra, env=env)  # failures show in the table
        results = Path(work) / "results"
        rows, worse = compare(load_results(results, base), load_results(results, head), benchmark_units(results),
                              args.factor)
    print_table(rows, base, head, args.factor)
    if worse:
        print("perf gate: FAILED (something got slower than the factor, or failed at head)")
        return 1
    print("perf gate: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
