"""The asv suite in asv_bench/: asv collects only methods named with its prefixes, and silently
ignores the rest, so a misnamed benchmark would never run; check every name and signature here."""
import importlib
import inspect
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "asv_bench"
PREFIXES = ("time_", "timeraw_", "mem_", "peakmem_", "track_")
HOOKS = {"setup", "teardown", "setup_cache"}
HELPER_MODULES = {"common", "peers"}


def benchmark_modules():
    sys.path.insert(0, str(BENCH))
    try:
        names = sorted(path.stem for path in (BENCH / "benchmarks").glob("*.py") if path.stem != "__init__")
        return [importlib.import_module(f"benchmarks.{name}") for name in names]
    finally:
        sys.path.remove(str(BENCH))


MODULES = benchmark_modules()


def defined_in(module, kind):
    return [obj for name, obj in vars(module).items() if kind(obj) and obj.__module__ == module.__name__]


def public_methods(cls):
    return {name: member for name, member in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_benchmark_method_has_a_collected_prefix(module):
    misnamed = [f"{cls.__name__}.{name}" for cls in defined_in(module, inspect.isclass)
                for name in public_methods(cls) if name not in HOOKS and not name.startswith(PREFIXES)]
    if module.__name__.rsplit(".", 1)[1] not in HELPER_MODULES:
        misnamed += [f.__name__ for f in defined_in(module, inspect.isfunction)
                     if not f.__name__.startswith(("_",) + PREFIXES)]
    assert not misnamed, f"asv would silently skip these (no {'/'.join(PREFIXES)} prefix): {misnamed}"


@pytest.mark.parametrize("module", [m for m in MODULES if m.__name__.rsplit(".", 1)[1] not in HELPER_MODULES],
                         ids=lambda m: m.__name__)
def test_every_module_has_benchmarks_and_their_signatures_fit_the_params(module):
    found = 0
    for cls in defined_in(module, inspect.isclass):
        params = getattr(cls, "params", [])
        names = getattr(cls, "param_names", [])
        n_params = len(params) if params and isinstance(params[0], list) else (1 if params else 0)
        assert len(names) == n_params, f"{cls.__name__}: {len(names)} param_names for {n_params} parameter lists"
        assert all(len(values) > 0 for values in (params if n_params > 1 else [params] * n_params))
        for name, method in public_methods(cls).items():
            if name.startswith(PREFIXES) or name in HOOKS - {"setup_cache"}:
                found += name.startswith(PREFIXES)
                arguments = len(inspect.signature(method).parameters) - 1  # self
                assert arguments == n_params, f"{cls.__name__}.{name} takes {arguments} parameters, not {n_params}"
    assert found, f"{module.__name__} defines no benchmark"


def test_the_prefixes_are_asvs_own():
    runner = pytest.importorskip("asv_runner.benchmarks")
    regexes = [cls.name_regex for cls in runner.benchmark_types]
    for prefix in PREFIXES:
        assert any(regex.match(prefix + "x") for regex in regexes), prefix
    assert not any(regex.match("test_x") or regex.match("bench_x") for regex in regexes)


def test_a_missing_feature_or_peer_skips_the_benchmark():
    modules = {module.__name__: module for module in MODULES}
    with pytest.raises(NotImplementedError, match="fastnn.no_such_thing is not in this version"):
        modules["benchmarks.common"].feature("fastnn", "no_such_thing")
    with pytest.raises(NotImplementedError, match="not installed"):
        modules["benchmarks.peers"].optional("no_such_module_for_fastnn")
