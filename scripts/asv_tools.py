"""Running fastnn's asv suite (asv_bench/) against past commits, for asv_dashboard.py and perf_gate.py.

asv's own way to run a commit builds a wheel and installs it, with all its dependencies, into a
virtualenv of asv's: faithful, but minutes per commit. The fast way here: unpack the commit's tree
(``git archive``), and point a light virtualenv at it (``commit_python``): a venv without pip whose
``.pth`` file puts the unpacked tree first on ``sys.path`` and this interpreter's site-packages
(numpy, numba, scikit-learn, asv_runner) after it. ``asv run --environment=existing:<that venv's python>
--set-commit-hash=<commit>`` then records the commit's results, and every process a benchmark
starts (``timeraw_*``) imports the same fastnn. The venv sits at a fixed path so that asv sees one
environment across commits (it names an existing environment after its interpreter's path).
fastnn is pure Python, so the unpacked tree is all a commit needs; numba's cache follows the
tree's path, so commits never share compiled kernels.
"""
import os
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASV_DIR = ROOT / "asv_bench"


def git(*args, cwd=ROOT):
    """Output of ``git args`` in the repository, stripped."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def resolve(commit):
    """Full hash of a commit name (``main``, ``HEAD~2``, a short hash)."""
    return git("rev-parse", "--verify", f"{commit}^{{commit}}")


def unpack(commit, dest):
    """Write the tree of ``commit`` to the directory ``dest`` (created); returns ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, check=True,
                             capture_output=True).stdout
    archive_path = dest.parent / f"{dest.name}.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(dest, filter="data")
    archive_path.unlink()
    return dest


def commit_python(source, venv):
    """Path of a Python (the venv ``venv``, created if missing) that imports fastnn from ``source``."""
    venv = Path(venv)
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    lines = [str(Path(source).resolve())] + [f"import site; site.addsitedir({path!r})" for path in sorted(ours)]
    (site / "fastnn_under_test.pth").write_text("\n".join(lines) + "\n")
    return str(python)


def asv(*args, env=None, check=True):
    """Run ``asv args`` in asv_bench/ with this interpreter; returns the exit code."""
    command = [sys.executable, "-m", "asv", *args]
    print("+", " ".join(command), flush=True)
    code = subprocess.run(command, cwd=ASV_DIR, env=dict(os.environ, **(env or {}))).returncode
    if check and code != 0:
        raise SystemExit(f"asv {args[0]} failed (exit status {code})")
    return code


def ensure_machine():
    """Write asv's machine file (~/.asv-machine.json) from this machine's facts if there is none."""
    if not (Path.home() / ".asv-machine.json").exists():
        asv("machine", "--yes")


def run_commit(commit, work, *asv_args, env=None):
    """``asv run`` of the suite at ``commit`` (results recorded under its hash); returns asv's exit code.

    The commit's tree is unpacked once into ``work``/<hash>; ``work``/python is the fixed-path venv
    that imports it. ``env``: extra environment variables.
    """
    source = Path(work) / commit
    if not source.exists():
        unpack(commit, source)
    python = commit_python(source, Path(work) / "python")
    return asv("run", f"--environment=existing:{python}", f"--set-commit-hash={commit}", *asv_args, env=env,
               check=False)
