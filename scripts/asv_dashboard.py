"""Benchmark the last N commits of main with asv and publish the dashboard (asv_bench/.asv/html).

    python scripts/asv_dashboard.py                   # last 5 commits of main, then asv publish
    python scripts/asv_dashboard.py --commits 20 --mode env
    python scripts/asv_dashboard.py --offline --screenshot docs/performance
    cd asv_bench && asv preview                        # serves the dashboard; open the address it prints

Modes:

- ``same`` (default): each commit's tree is unpacked and imported by a light virtualenv over this
  interpreter's packages (``asv_tools.py``), and ``asv run --set-commit-hash`` records its results.
  No build, no network, seconds of set-up per commit; the dependencies (numpy, numba, scikit-learn)
  are this interpreter's, so the graphs show what fastnn's own changes did.
- ``env``: ``asv run`` in asv's own virtualenvs, which build a wheel of each commit and install it
  with its dependencies from the package index: the way asv means it, minutes per new environment.

Commits already measured on this machine are not measured again (``--rerun`` to do it anyway).
asv runs the benchmarks of the working tree against every commit; a benchmark that needs
something an old commit lacks is skipped there.

The published page loads jQuery, flot and bootstrap from public CDNs. ``--offline`` fetches the same
libraries from the npm registry (``npm pack``, cached in asv_bench/.asv/vendor) and points the page
at the local copies, so that it renders on a machine without internet. ``--screenshot DIR`` then
checks the page in headless Chromium (scripts/dashboard_screenshot.py).
"""
import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import asv_tools

#: CDN address in asv's index.html -> (npm package, file in it). stupidtable 1.0.1 is not on npm;
#: 1.1.3 keeps its one call, ``$(table).stupidtable()``. flot's npm package has the unminified files.
CDN_FILES = {
    "https://code.jquery.com/jquery-3.3.1.min.js": ("jquery@3.3.1", "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.min.js": ("flot@0.8.3", "jquery.flot.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.time.min.js": ("flot@0.8.3", "jquery.flot.time.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.selection.min.js":
        ("flot@0.8.3", "jquery.flot.selection.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.categories.min.js":
        ("flot@0.8.3", "jquery.flot.categories.js"),
    "https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js":
        ("flot-orderbars@1.0.0", "js/jquery.flot.orderBars.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js":
        ("stupid-table-plugin@1.1.3", "stupidtable.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js": ("blueimp-md5@2.19.0", "js/md5.min.js"),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js":
        ("bootstrap@3.1.1", "dist/js/bootstrap.min.js"),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css":
        ("bootstrap@3.1.1", "dist/css/bootstrap.min.css"),
}
HTML = asv_tools.ASV_DIR / ".asv" / "html"
WORK = asv_tools.ASV_DIR / ".asv" / "commits"
VENDOR_CACHE = asv_tools.ASV_DIR / ".asv" / "vendor"


def last_commits(branch, count):
    """Hashes of the last ``count`` commits of ``branch``, first-parent history, oldest first."""
    return asv_tools.git("rev-list", "--first-parent", f"--max-count={count}", branch).split()[::-1]


def run_same(commits, asv_args):
    """Each commit through ``asv_tools.run_commit``; returns the commits whose run reported failures."""
    return [commit for commit in commits if asv_tools.run_commit(commit, WORK, *asv_args) != 0]


def run_env(commits, asv_args):
    """All commits in asv's own virtualenvs, in one ``asv run``; returns [] or the failed commits."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as hashes:
        hashes.write("\n".join(commits) + "\n")
    try:
        return [] if asv_tools.asv("run", f"HASHFILE:{hashes.name}", *asv_args, check=False) == 0 else commits
    finally:
        os.unlink(hashes.name)


def npm_package(spec):
    """The unpacked npm package ``spec`` (``name@version``), fetched once with ``npm pack``."""
    target = VENDOR_CACHE / spec
    if not target.exists():
        VENDOR_CACHE.mkdir(parents=True, exist_ok=True)
        name = subprocess.run(["npm", "pack", spec, "--silent"], cwd=VENDOR_CACHE, check=True, capture_output=True,
                              text=True).stdout.strip().splitlines()[-1]
        with tarfile.open(VENDOR_CACHE / name) as tar:
            tar.extractall(target, filter="data")
        (VENDOR_CACHE / name).unlink()
    return target / "package"


def vendor(html_dir):
    """Point the published index.html at local copies of its CDN libraries (see ``CDN_FILES``)."""
    index = Path(html_dir) / "index.html"
    page = index.read_text()
    tags = re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="(https?://[^"]+)"[^>]*>', page)
    for url in tags:
        if url not in CDN_FILES:
            print(f"warning: no local copy of {url}: the page needs internet for it", file=sys.stderr)
            continue
        spec, path = CDN_FILES[url]
        local = Path("vendor") / spec / path
        (Path(html_dir) / local).parent.mkdir(parents=True, exist_ok=True)
        (Path(html_dir) / local).write_bytes((npm_package(spec) / path).read_bytes())
        if path.endswith(".css"):  # bootstrap's stylesheet loads ../fonts/
            fonts = npm_package(spec) / Path(path).parent.parent / "fonts"
            for font in fonts.glob("*"):
                target = Path(html_dir) / local.parent.parent / "fonts" / font.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(font.read_bytes())
        page = re.sub(r'(<(?:script|link)\b[^>]*?)(?:src|href)="' + re.escape(url) + r'"([^>]*>)',
                      lambda m: (m.group(1) + ('href' if m.group(0).startswith("<link") else 'src')
                                 + f'="{local.as_posix()}"' + m.group(2)), page)
    # local copies are not the CDN's bytes: drop the subresource-integrity checks
    page = re.sub(r'\s(?:integrity|crossorigin|referrerpolicy)="[^"]*"', "", page)
    index.write_text(page)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=5, help="how many of the branch's last commits (default 5)")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--mode", choices=["same", "env"], default="same")
    parser.add_argument("--bench", "-b", action="append", default=[], help="regex of benchmarks to run (asv -b)")
    parser.add_argument("--profile", choices=["fast", "regular"], default="regular",
                        help="sizes: FASTNN_ASV_PROFILE (default regular)")
    parser.add_argument("--rerun", action="store_true", help="measure commits that already have results")
    parser.add_argument("--quick", action="store_true", help="asv --quick: every benchmark once (to try it out)")
    parser.add_argument("--no-publish", action="store_true")
    parser.add_argument("--offline", action="store_true", help="serve the page's libraries locally (from npm)")
    parser.add_argument("--screenshot", metavar="DIR", help="check the page renders; write screenshots to DIR")
    args = parser.parse_args(argv)

    os.environ["FASTNN_ASV_PROFILE"] = args.profile
    commits = last_commits(args.branch, args.commits)
    print(f"{len(commits)} commits of {args.branch}: {' '.join(c[:8] for c in commits)}; mode {args.mode}, "
          f"profile {args.profile}, load average {os.getloadavg()[0]:.1f}", flush=True)
    asv_tools.ensure_machine()
    asv_args = ["--show-stderr"] + [f"--bench={regex}" for regex in args.bench]
    asv_args += [] if args.rerun else ["--skip-existing"]
    asv_args += ["--quick"] if args.quick else []
    failed = (run_same if args.mode == "same" else run_env)(commits, asv_args)
    if not args.no_publish:
        asv_tools.asv("publish")
        if args.offline:
            vendor(HTML)
        print(f"dashboard: {HTML / 'index.html'} (cd asv_bench && asv preview)")
    if args.screenshot:
        subprocess.run([sys.executable, str(Path(__file__).parent / "dashboard_screenshot.py"), "--html", str(HTML),
                        "--out", args.screenshot], check=True)
    if failed:
        print(f"benchmarks failed on {len(failed)} commit(s): {' '.join(c[:8] for c in failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
