"""scripts/perf_gate.py's verdicts, baseline and rounds, and scripts/asv_dashboard.py's offline page,
without running asv."""
import importlib
import inspect
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"


@pytest.fixture(scope="module")
def scripts():
    sys.path.insert(0, str(SCRIPTS))
    try:
        yield importlib.import_module("perf_gate"), importlib.import_module("asv_dashboard")
    finally:
        sys.path.remove(str(SCRIPTS))


def test_the_gate_fails_slower_times_and_smaller_speedups_only(scripts):
    gate = scripts[0]
    time, speedup = "fit.TimeFit.time_fit", "ratios.Speedup.track_speedup"
    base = {(time, "500"): 1.0, (time, "2000"): 1.0, (speedup, "a"): 10.0, (speedup, "b"): 10.0,
            ("kernels.Allocations.track_allocations_per_iteration", ""): 0.5, ("x.X.time_gone", ""): 1.0,
            ("x.X.time_broken", ""): 1.0}
    head = {(time, "500"): 1.2, (time, "2000"): 0.5, (speedup, "a"): 20.0, (speedup, "b"): 10.0,
            ("kernels.Allocations.track_allocations_per_iteration", ""): 0.5, ("x.X.time_new", ""): 1.0,
            ("x.X.time_broken", ""): None}
    rows, worse = gate.compare(base, head, {time: "seconds"}, factor=1.3)
    verdicts = {(name, label): (ratio, verdict) for name, label, _, _, ratio, verdict in rows}
    assert verdicts[(time, "500")] == (pytest.approx(1.2), "")       # within the factor
    assert verdicts[(time, "2000")] == (pytest.approx(0.5), "better")
    assert verdicts[(speedup, "a")] == (pytest.approx(0.5), "better")  # a larger speed-up is better
    assert verdicts[("x.X.time_broken", "")][1] == "FAILED at head"
    assert verdicts[("x.X.time_gone", "")][1] == "FAILED at head"  # worked at the base, no result at head
    assert math.isnan(verdicts[("x.X.time_new", "")][0])
    assert worse
    del base[("x.X.time_broken", "")], head[("x.X.time_broken", "")], base[("x.X.time_gone", "")]
    assert not gate.compare(base, head, {}, factor=1.3)[1]
    head[(speedup, "b")] = 7.0  # 10x -> 7x: 1.43 times worse
    rows, worse = gate.compare(base, head, {}, factor=1.3)
    assert worse and rows[0][:2] == (speedup, "b") and rows[0][5] == "WORSE"


def test_the_gate_fails_past_1_25_and_names_what_got_worse(scripts):
    gate = scripts[0]
    name = "gate.Gate.time_call"
    base = {(name, "'fit_h5'"): 1.0, (name, "'seeds_estimator'"): 1.0, (name, "'fit_h50'"): 1.0,
            (name, "'epoch_784_100'"): 1.0}
    head = {(name, "'fit_h5'"): 1.24, (name, "'seeds_estimator'"): 1.26, (name, "'fit_h50'"): 0.5,
            (name, "'epoch_784_100'"): None}
    rows, worse = gate.compare(base, head, {}, factor=gate.FACTOR)
    assert gate.FACTOR == 1.25 and worse
    verdicts = {label: verdict for _, label, _, _, _, verdict in rows}
    assert verdicts == {"'fit_h5'": "", "'seeds_estimator'": "WORSE", "'fit_h50'": "better",
                        "'epoch_784_100'": "FAILED at head"}
    assert gate.verdict_line(rows) == ("perf gate: FAILED: gate.Gate.time_call('epoch_784_100'), "
                                       "gate.Gate.time_call('seeds_estimator')")
    del head[(name, "'epoch_784_100'")], base[(name, "'epoch_784_100'")]
    head[(name, "'seeds_estimator'")] = 1.25  # at the factor, not past it
    rows, worse = gate.compare(base, head, {}, factor=gate.FACTOR)
    assert not worse and gate.verdict_line(rows) == "perf gate: passed"
    assert gate.label("fit.TimeFit.time_fit", "") == "fit.TimeFit.time_fit"


def test_the_baseline_file_holds_one_full_hash_and_comments(scripts, tmp_path):
    gate = scripts[0]
    commit = "0123456789abcdef0123456789abcdef01234567"
    good = tmp_path / "good"
    good.write_text(f"# how to move it\n\n  {commit}  \n# more\n")
    assert gate.read_baseline(good) == commit
    for text in ["# only a comment\n", f"{commit}\n{commit}\n", "0123456\n", f"{commit}0\n", "main\n",
                 f"{commit.upper()}\n"]:
        bad = tmp_path / "bad"
        bad.write_text(text)
        with pytest.raises(ValueError, match="one full commit hash"):
            gate.read_baseline(bad)


def test_the_recorded_baseline_is_a_commit_of_this_repository(scripts):
    baseline = scripts[0].read_baseline()
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    found = subprocess.run(["git", "cat-file", "-e", f"{baseline}^{{commit}}"], cwd=ROOT, capture_output=True)
    assert found.returncode == 0, f"asv_bench/perf_baseline names {baseline}, which is not in this repository"


@pytest.fixture
def no_asv(scripts, monkeypatch):
    """perf_gate with asv replaced: ``calls`` records each asv run (commit, arguments, environment)."""
    gate = scripts[0]
    calls = []

    def run_commit(commit, work, *args, env=None):
        calls.append((commit, args, env))
        return 0

    monkeypatch.setattr(gate.asv_tools, "run_commit", run_commit)
    monkeypatch.setattr(gate.asv_tools, "ensure_machine", lambda: None)
    monkeypatch.setattr(gate, "_same_timed_code", lambda base, head: False)  # time them whatever they hold
    return gate, calls


def test_base_equal_to_head_passes_without_running_anything(no_asv, capsys):
    gate, calls = no_asv
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    head = gate.asv_tools.resolve("HEAD")
    assert gate.main(["--base", head[:10], "--head", "HEAD"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert calls == [] and "nothing to compare" in out[0] and out[-1] == "perf gate: passed"


def test_commits_that_hold_the_same_timed_code_pass_without_running_anything(scripts, monkeypatch, capsys):
    """b4b68a7 -> 042fcd9 moved the baseline only (the same package: nothing to time); bf928d8 ->
    b4b68a7 changed the kernels."""
    gate = scripts[0]
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    moved, kernels = ("b4b68a7", "042fcd9"), ("bf928d8", "b4b68a7")
    found = subprocess.run(["git", "cat-file", "-e", "042fcd9^{commit}"], cwd=ROOT, capture_output=True)
    if found.returncode:
        pytest.skip("a history without those commits")
    assert gate._same_timed_code(*moved) and not gate._same_timed_code(*kernels)
    monkeypatch.setattr(gate.asv_tools, "run_commit", lambda *args, **kwargs: pytest.fail("asv ran"))
    assert gate.main(["--base", moved[0], "--head", moved[1]]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "nothing to compare" in out[0] and out[-1] == "perf gate: passed"


def test_by_default_the_gate_set_runs_against_the_baseline_in_alternating_rounds(no_asv, monkeypatch, capsys):
    pytest.importorskip("asv")
    gate, calls = no_asv
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    base, head = gate.read_baseline(), gate.asv_tools.resolve("HEAD")
    if base == head:
        pytest.skip("HEAD is the baseline")
    name = "gate.Gate.time_call"
    results = {base: {(name, "'seeds_estimator'"): 0.06, (name, "'fit_h5'"): 0.01},
               head: {(name, "'seeds_estimator'"): 0.2, (name, "'fit_h5'"): 0.01}}
    monkeypatch.setattr(gate, "load_results", lambda directory, commit: results[commit])
    monkeypatch.setattr(gate, "benchmark_units", lambda directory: {name: "seconds"})
    assert gate.main([]) == 1
    commits = [commit for commit, _, _ in calls]
    assert commits == [base, head] + [base, head] * gate.ROUNDS
    for commit, args, env in calls:
        assert f"--bench={gate.GATE_SET}" in args
    warm_ups, timed = calls[:2], calls[2:]
    assert all("--quick" in args and "--dry-run" in args and env["FASTNN_GATE_WARMUP"] == "1"
               for _, args, env in warm_ups)
    assert all("--quick" not in args and "FASTNN_GATE_WARMUP" not in env for _, args, env in timed)
    assert ["--append-samples" in args for _, args, _ in timed] == [False, False] + [True] * (len(timed) - 2)
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"perf gate: FAILED: {name}('seeds_estimator')"
    assert any("'seeds_estimator'" in line and "3.33x" in line and "WORSE" in line for line in out)


def test_the_gate_fails_when_asv_records_nothing(no_asv, capsys):
    pytest.importorskip("asv")
    gate, calls = no_asv
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    assert gate.main(["--base", "HEAD~1", "--rounds", "1", "--no-warm-up"]) == 1
    assert len(calls) == 2
    assert capsys.readouterr().out.splitlines()[-1].startswith("perf gate: FAILED: asv recorded no results")


def test_the_gate_set_covers_each_regime_and_compiles_nothing_by_hand(scripts):
    sys.path.insert(0, str(ROOT / "asv_bench"))
    try:
        gate_set = importlib.import_module("benchmarks.gate")
    finally:
        sys.path.remove(str(ROOT / "asv_bench"))
    assert set(gate_set.CASES) == {"fit_h5", "fit_h50", "seeds_estimator", "sklearn_defaults", "estimator_64x64",
                                   "epoch_784_100", "predict_proba_20000x784"}
    assert re.search(scripts[0].GATE_SET, "gate.Gate.time_call")
    assert not re.search(scripts[0].GATE_SET, "estimators.Estimators.time_fit")
    source = inspect.getsource(gate_set)
    for forced in ("compile_parallel_twins", "warm_up", "precompile", ".compile("):
        assert forced not in source


def test_every_library_the_published_page_loads_has_a_local_copy(scripts, tmp_path, monkeypatch):
    www = Path(pytest.importorskip("asv").__file__).parent / "www"
    dashboard = scripts[1]
    page = (www / "index.html").read_text()
    tags = r'<(?:script|link)\b[^>]*?(?:src|href)="(https?://[^"]+)"'
    external = set(re.findall(tags, page))
    assert external and external <= set(dashboard.CDN_FILES), external - set(dashboard.CDN_FILES)

    def fake_package(spec):  # what `npm pack` would unpack, without the network
        root = tmp_path / "npm" / spec / "package"
        for package, path in dashboard.CDN_FILES.values():
            if package == spec:
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text(f"/* {spec} {path} */")
        (root / "dist" / "fonts").mkdir(parents=True, exist_ok=True)
        (root / "dist" / "fonts" / "glyphicons.woff").write_text("font")
        return root

    monkeypatch.setattr(dashboard, "npm_package", fake_package)
    html = tmp_path / "html"
    html.mkdir()
    (html / "index.html").write_text(page)
    dashboard.vendor(html)
    vendored = (html / "index.html").read_text()
    assert not re.search(tags, vendored) and "integrity=" not in vendored
    for local in re.findall(r'(?:src|href)="(vendor/[^"]+)"', vendored):
        assert (html / local).read_text().startswith("/*")
    assert (html / "vendor" / "bootstrap@3.1.1" / "dist" / "fonts" / "glyphicons.woff").exists()
