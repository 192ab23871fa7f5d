"""scripts/perf_gate.py's verdicts and scripts/asv_dashboard.py's offline page, without running asv."""
import importlib
import math
import re
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


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
