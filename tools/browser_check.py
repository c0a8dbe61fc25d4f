"""Look at the lab the way a learner does: headless Chromium on a server started like `make lab`.

    python tools/browser_check.py [--out DIR] [notebook ...]

For each notebook it opens the page, runs all cells, waits for the kernel, checks that every
Markdown image loaded (naturalWidth > 0), that no "Jupyter news?" popup showed, and saves a
screenshot; for the notebooks with explorers it also drives the widget (types text, moves a
slider) and checks that the HTML view below it changed. Needs Chromium (Debian: `apt-get install
chromium`) and `pip install playwright` (no browser download: it uses /usr/bin/chromium). A
maintainer's tool, not part of `make test` (CI has no browser).
"""
from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

# notebook -> (CSS selector of a control, action, value): the control is driven and the view must change
WIDGETS = {
    "00_overview.ipynb": ("input[type=number], .widget-slider input, .slider-container", "slider", None),
    "03_tokenization.ipynb": (".widget-text input, .widget-textarea textarea", "type", "猫猫 cats 123456789"),
    "07_bpe_tokenizer.ipynb": (".widget-slider input, .slider-container", "slider", None),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(tmp: Path) -> tuple[subprocess.Popen, str, str]:
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "rt"), "JUPYTER_CONFIG_DIR": str(tmp / "cfg"),
           "JUPYTER_DATA_DIR": str(tmp / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "lecture_utils.lab", "--no-browser", "--ip=127.0.0.1",
                             f"--port={port}", f"--IdentityProvider.token={token}"],
                            env=env, cwd=REPO, stdout=open(tmp / "lab.log", "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
            return proc, base, token
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("lab did not start; see " + str(tmp / "lab.log"))


def view_html(page) -> str:
    """Text of the rendered HTML outputs (what the explorers rewrite)."""
    return page.evaluate("() => Array.from(document.querySelectorAll('.jp-OutputArea-output.jp-RenderedHTMLCommon'))"
                         ".map(e => e.innerText).join('\\n')")


def check_notebook(page, base: str, token: str, name: str, out: Path) -> list[str]:
    problems = []
    page.goto(f"{base}/lab/tree/notebooks/{name}?reset&token={token}")  # reset: no tabs restored
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_timeout(3000)
    page.keyboard.press("Escape")
    page.click("text=Run", timeout=30_000)
    page.click("text=Run All Cells", timeout=30_000)
    deadline = time.monotonic() + 300
    page.wait_for_timeout(5000)
    while time.monotonic() < deadline:  # the kernel indicator reads "Idle" when every cell has run
        busy = page.evaluate("() => document.querySelectorAll('.jp-InputArea-prompt').length && "
                             "Array.from(document.querySelectorAll('.jp-InputArea-prompt'))"
                             ".some(e => e.innerText.includes('[*]'))")
        if not busy:
            break
        page.wait_for_timeout(1000)
    page.wait_for_timeout(2000)
    if page.locator("text=Would you like to get notified").count():
        problems.append("the 'Jupyter news?' popup is showing")
    broken = page.evaluate("() => Array.from(document.querySelectorAll('.jp-RenderedMarkdown img'))"
                           ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    problems += [f"image did not load: {src}" for src in broken]
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count()
    if errors:
        problems.append(f"{errors} outputs on stderr (errors or warnings)")
    if name in WIDGETS:
        selector, action, value = WIDGETS[name]
        control = page.locator(selector).first
        if not control.count():
            problems.append(f"no widget control found ({selector})")
        else:
            control.scroll_into_view_if_needed()
            page.screenshot(path=str(out / f"{Path(name).stem}-widget-before.png"))
            before = view_html(page)
            if action == "type":
                control.fill(value)
                control.press("Enter")
            else:
                control.focus()
                for _ in range(3):
                    page.keyboard.press("ArrowRight")
            page.wait_for_timeout(2500)
            after = view_html(page)
            page.screenshot(path=str(out / f"{Path(name).stem}-widget-after.png"))
            if before == after:
                problems.append("the view did not change when the widget was driven")
    page.screenshot(path=str(out / f"{Path(name).stem}.png"))
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook file names (default: all)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "browser_check")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    names = args.notebooks or sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    tmp = Path(tempfile.mkdtemp())
    proc, base, token = start_lab(tmp)
    failed = 0
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            for name in names:  # a fresh page each: selectors then see only this notebook's cells
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                problems = check_notebook(page, base, token, name, args.out)
                print(f"{name}: {'ok' if not problems else '; '.join(problems)}", flush=True)
                failed += bool(problems)
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(30)
    print(f"screenshots in {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
