"""Check that the published asv dashboard renders its graphs, with headless Chromium; save screenshots.

Serves the published HTML on 127.0.0.1 (a free port) while Chromium (Debian's ``chromium``:
``apt-get install -y chromium``) loads the summary page and one benchmark's graph page, each in a
fresh profile. For each page it saves a PNG and reads the DOM after the page's scripts ran: the page
passes when flot drew graph canvases and asv showed no error. Exits non-zero otherwise.

    python scripts/dashboard_screenshot.py --out docs/performance
"""
import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HTML = Path(__file__).resolve().parent.parent / "asv_bench" / ".asv" / "html"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--window-size=1400,1000", "--virtual-time-budget=20000"]
#: page name -> address fragment of asv's single-page app
PAGES = {"summary": "", "graph": "#fit.TimeFit.time_fit?p-n_samples=2000&p-activation='tanh'"}


#: what asv's page shows when its scripts (error.html) or its data failed to load
ERRORS = ["Can not determine continental origin of swallow", "Error fetching content"]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    raise SystemExit("no chromium on PATH: apt-get install -y chromium")


def browse(url, *action):
    """Run headless Chromium on ``url`` with a fresh profile; returns its stdout."""
    with tempfile.TemporaryDirectory(prefix="fastnn-chromium-") as profile:
        done = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *action, url],
                              capture_output=True, text=True, timeout=180)
    return done.stdout


def check(html_dir, out_dir):
    """Screenshots of every page in ``out_dir``; returns the list of problems found (empty: all good)."""
    if not (Path(html_dir) / "index.html").exists():
        return [f"no published dashboard in {html_dir}: run scripts/asv_dashboard.py first"]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(html_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    problems = []
    try:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, fragment in PAGES.items():
            url = f"http://127.0.0.1:{server.server_address[1]}/index.html{fragment}"
            png = out_dir / f"dashboard-{name}.png"
            browse(url, f"--screenshot={png}")
            dom = browse(url, "--dump-dom")
            canvases = dom.count('class="flot-base"')
            failed = [text for text in ERRORS if text in dom]
            print(f"{name}: {canvases} graph canvases, screenshot {png} "
                  f"({png.stat().st_size if png.exists() else 0} bytes)")
            if not png.exists() or png.stat().st_size < 5000:
                problems.append(f"{name}: no screenshot")
            if canvases == 0 or failed:
                problems.append(f"{name}: no graph rendered at {url} {failed}")
    finally:
        server.shutdown()
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--html", default=str(HTML), help="published dashboard (default %(default)s)")
    parser.add_argument("--out", default=str(HTML.parent / "screenshots"), help="where the PNGs go")
    args = parser.parse_args(argv)
    problems = check(args.html, args.out)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
