"""Perf gate: benchmark HEAD against a base commit and fail when a benchmark got slower by a factor.

    python scripts/perf_gate.py                          # the gate set, HEAD vs the baseline, factor 1.25 (CI)
    python scripts/perf_gate.py --base main              # the same against main
    python scripts/perf_gate.py --base HEAD~1 --bench "fit|kernels" --factor 1.5 --profile fast

By default it runs the gate set (``asv_bench/benchmarks/gate.py``, asv's ``-b`` ``GATE_SET``: a few cases,
one per regime, each as a user's process runs it) against the baseline, the last accepted speed:
the commit recorded in ``asv_bench/perf_baseline``, moved forward on purpose (see that file).
Base and head the same commit (the baseline just moved to HEAD), or two commits that hold the same
package, benchmarks and dependencies (``TIMED_PATHS``), is nothing to compare: it passes.

Like ``asv continuous``, but built for a shared, noisy machine: both commits run from their own
trees in this interpreter's environment (``asv_tools``: no build, no network), in alternating
rounds (base, head, base, head, ...) with asv's ``--append-samples``, so a change in the machine's
load lands on both alike; asv's median over all samples is then compared. Before the timed rounds,
one untimed pass per commit (``asv run --quick --dry-run``, with ``FASTNN_GATE_WARMUP=1``) fills
each tree's numba cache, so that compiling is never timed. The results go to a temporary results
directory, never into the dashboard's.

A benchmark got worse when head / base exceeds the factor for times and memory, or base / head
does for the ``track_speedup*`` benchmarks (speed-ups: higher is better); any other ``track_``
value counts as lower is better. The table of every benchmark is printed either way, and the last
line is ``perf gate: passed`` or ``perf gate: FAILED: <the benchmarks that got worse>``. Exit
status: 0 when nothing got worse, 1 when something did (or failed at head but not at the base), 2
on usage errors.
"""
import argparse
import itertools
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asv_tools

#: The file holding the baseline commit, the gate's default base.
BASELINE = asv_tools.ASV_DIR / "perf_baseline"
#: The gate set: asv's -b regex of the benchmarks the gate runs by default.
GATE_SET = r"^gate\."
FACTOR = 1.25
ROUNDS = 5


def read_baseline(path=BASELINE):
    """The commit hash in the baseline file ``path``: its one line that is not blank or a ``#`` comment."""
    lines = [line.strip() for line in Path(path).read_text().splitlines()]
    hashes = [line for line in lines if line and not line.startswith("#")]
    if len(hashes) != 1 or not re.fullmatch(r"[0-9a-f]{40}", hashes[0]):
        raise ValueError(f"{path} must hold one full commit hash (40 hex digits) besides # comments, "
                         f"found {hashes}")
    return hashes[0]


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


def label(name, params):
    """``name(params)``, or ``name`` for a benchmark without parameters."""
    return f"{name}({params})" if params else name


def verdict_line(rows):
    """The gate's last line: ``perf gate: passed`` or ``perf gate: FAILED: <benchmarks that got worse>``."""
    failed = [label(name, params) for name, params, _, _, _, verdict in rows if verdict in ("WORSE", "FAILED at head")]
    return f"perf gate: FAILED: {', '.join(failed)}" if failed else "perf gate: passed"


def print_table(rows, base, head, factor):
    header = ("benchmark", "params", f"base {base[:8]}", f"head {head[:8]}", "worse by", "")
    lines = [header] + [(name, label, b, h, "-" if math.isnan(r) else "inf" if math.isinf(r) else f"{r:.2f}x", v)
                        for name, label, b, h, r, v in rows]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip())
    print(f"worse by = head/base (base/head for speed-ups): above {factor} fails the gate")


#: What the gate's timings depend on: two commits that hold the same of these time the same code,
#: and their figures could differ only by the machine's noise (a commit that moves the baseline
#: forward, or touches only documentation, would otherwise be timed against its own code).
TIMED_PATHS = ("fastnn", "asv_bench/benchmarks", "pyproject.toml")


def _same_timed_code(base, head):
    """Whether commits ``base`` and ``head`` hold the same :data:`TIMED_PATHS`."""
    done = subprocess.run(["git", "diff", "--quiet", base, head, "--", *TIMED_PATHS], cwd=asv_tools.ROOT)
    return done.returncode == 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help=f"commit to compare against (default: the baseline in {BASELINE.name})")
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--factor", type=float, default=FACTOR, help=f"slow-down that fails (default {FACTOR})")
    parser.add_argument("--bench", "-b", action="append", default=[],
                        help=f"regex of benchmarks (asv -b; default the gate set, {GATE_SET!r})")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help=f"alternating timed rounds per commit (default {ROUNDS})")
    parser.add_argument("--profile", choices=["fast", "regular"], default="regular",
                        help="benchmark sizes: FASTNN_ASV_PROFILE (default regular; the gate set has fixed sizes)")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="skip the untimed pass per commit that fills numba's cache")
    args = parser.parse_args(argv)
    if args.factor <= 1:
        parser.error("--factor must exceed 1")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    try:
        base = asv_tools.resolve(args.base if args.base is not None else read_baseline())
        head = asv_tools.resolve(args.head)
    except (OSError, ValueError) as error:
        parser.error(str(error))
    except subprocess.CalledProcessError as error:
        parser.error(f"not a commit: {error.cmd[-1]}")
    if base == head:
        print(f"perf gate: base and head are the same commit {base[:8]}: nothing to compare")
        print("perf gate: passed")
        return 0
    if _same_timed_code(base, head):
        print(f"perf gate: {base[:8]} and {head[:8]} hold the same {', '.join(TIMED_PATHS)}: nothing to compare")
        print("perf gate: passed")
        return 0
    benches = args.bench or [GATE_SET]

    began = time.perf_counter()
    asv_tools.ensure_machine()
    with tempfile.TemporaryDirectory(prefix="fastnn-perf-gate-") as work:
        config = Path(work) / "asv.conf.json"
        from asv.util import load_json

        settings = load_json(str(asv_tools.ASV_DIR / "asv.conf.json"), js_comments=True)
        # branches: what asv resolves first, whatever the checkout's branches (a clone of another
        # branch has no "main"); each run records its results under --set-commit-hash
        settings.update(repo=str(asv_tools.ROOT), benchmark_dir=str(asv_tools.ASV_DIR / "benchmarks"),
                        results_dir=str(Path(work) / "results"), html_dir=str(Path(work) / "html"),
                        env_dir=str(Path(work) / "env"), branches=[head])
        config.write_text(json.dumps(settings))
        asv_args = [f"--config={config}", "--show-stderr"] + [f"--bench={regex}" for regex in benches]
        env = {"FASTNN_ASV_PROFILE": args.profile}
        if args.warm_up:
            for commit in (base, head):
                print(f"warm-up (untimed): {commit[:8]}, at {time.perf_counter() - began:.0f} s", flush=True)
                asv_tools.run_commit(commit, work, *asv_args, "--quick", "--dry-run",
                                     env=dict(env, FASTNN_GATE_WARMUP="1"))
        timed_args = asv_args + ["--record-samples", "-a", "rounds=1"]
        for round_ in range(args.rounds):
            for commit in (base, head):
                print(f"round {round_ + 1}/{args.rounds}: {commit[:8]}, at {time.perf_counter() - began:.0f} s",
                      flush=True)
                extra = ["--append-samples"] if round_ else []
                asv_tools.run_commit(commit, work, *timed_args, *extra, env=env)  # failures show in the table
        results = Path(work) / "results"
        try:
            units = benchmark_units(results)
        except FileNotFoundError:
            print("perf gate: FAILED: asv recorded no results (its output above says why)")
            return 1
        rows, worse = compare(load_results(results, base), load_results(results, head), units, args.factor)
    print_table(rows, base, head, args.factor)
    print(f"perf gate: {len(rows)} benchmarks, {args.rounds} rounds, {time.perf_counter() - began:.0f} s")
    print(verdict_line(rows))
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
