"""The lab as a learner opens it: started the README's way, every image and local link of every
notebook served (HTTP 200), no news popup, no unencrypted-kernel warning, notebooks trusted."""
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from lecture_utils.lab import NOTEBOOKS, REPO

MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)")
MARKDOWN_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)[^)]*\)")
HTML_SRC = re.compile(r"""<img[^>]+src=["']([^"']+)["']""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(base: str, token: str, path: str, method: str = "GET", body: bytes | None = None):
    req = urllib.request.Request(f"{base}{path}", method=method, data=body,
                                 headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=20) as resp:
        data = resp.read()
        kind = resp.headers.get("Content-Type", "")
        return resp.status, (json.loads(data) if data and "json" in kind else data)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`python -m lecture_utils.lab` (what `make lab` runs), on a free loopback port, without a browser."""
    tmp = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "lecture_utils.lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0"]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTER_DATA_DIR": str(tmp / "data"), "LECTURE_UTILS_CACHE": str(tmp / "cache")}
    log_path = tmp / "lab.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            _get(base, token, "/api/status")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait(10)
                log.close()
                pytest.fail("lab did not start:\n" + log_path.read_text(encoding="utf-8", errors="replace")[-3000:])
            time.sleep(0.5)
    yield proc, base, token, log_path, tmp
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)
    log.close()


def _local_targets(notebook: Path):
    """(kind, target) for every image and relative link in the notebook's Markdown cells."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        text = re.sub(r"```.*?```", "", text, flags=re.S)  # code blocks are not links
        for kind, pattern in (("image", MARKDOWN_IMAGE), ("image", HTML_SRC), ("link", MARKDOWN_LINK)):
            for target in pattern.findall(text):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
                    continue  # http(s), mailto, attachment:, in-page anchors
                yield kind, target.split("#")[0]


def test_every_image_and_local_link_is_served(lab):
    proc, base, token, _, _ = lab
    checked, failures = 0, []
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        for kind, target in _local_targets(notebook):
            path = (notebook.parent / urllib.parse.unquote(target)).resolve()
            rel = path.relative_to(REPO).as_posix()  # outside the repository would raise: a broken link
            url = ("/api/contents/" if path.is_dir() else "/files/") + urllib.parse.quote(rel)
            try:
                status, _ = _get(base, token, url)
            except urllib.error.HTTPError as err:
                status = err.code
            checked += 1
            if status != 200:
                failures.append(f"{notebook.name}: {kind} {target} -> HTTP {status}")
    assert checked >= len(list(NOTEBOOKS.glob("*.ipynb"))), "every notebook links at least the glossary"
    assert not failures, "\n".join(failures)


def test_lab_opens_at_the_notebooks_with_the_series_settings(lab):
    proc, base, token, _, _ = lab
    status, listing = _get(base, token, "/api/contents/notebooks")
    served = {item["name"] for item in listing["content"]}
    assert status == 200 and {p.name for p in NOTEBOOKS.glob("*.ipynb")} <= served
    status, page = _get(base, token, "/lab/tree/notebooks")
    assert status == 200 and b"JupyterLab" in page
    status, settings = _get(base, token, "/lab/api/settings/@jupyterlab/apputils-extension:notification")
    defaults = {name: prop["default"] for name, prop in settings["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false", "the 'Jupyter news?' popup would appear (JupyterLab's default asks)"
    assert defaults["checkForUpdates"] is False


def test_notebooks_are_trusted(lab):
    proc, base, token, _, tmp = lab
    import nbformat
    from nbformat.sign import NotebookNotary

    db = tmp / "cache" / "jupyter" / "nbsignatures.db"
    notary = NotebookNotary(db_file=str(db), secret_file=str(db.with_name("notebook_secret")))
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        assert notary.check_signature(nbformat.read(path, as_version=4)), f"{path.name} is not trusted"


def _run_in_kernel(base: str, token: str, kernel_id: str, code: str) -> str:
    """Execute `code` over the kernel's websocket (as the browser does) and return what it printed."""
    import asyncio
    import uuid

    from tornado.websocket import websocket_connect

    async def run() -> str:
        url = base.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels?token={token}"
        ws = await websocket_connect(url)
        msg_id = uuid.uuid4().hex
        ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": msg_id,
                       "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False}}))
        printed = ""
        while True:
            msg = json.loads(await asyncio.wait_for(ws.read_message(), timeout=60))
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                printed += msg["content"]["text"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                ws.close()
                return printed

    return asyncio.run(run())


def test_a_kernel_runs_without_the_tcp_encryption_warning_and_the_server_stops(lab):
    proc, base, token, log_path, _ = lab
    status, kernel = _get(base, token, "/api/kernels", method="POST", body=b'{"name": "python3"}')
    assert status == 201
    assert _run_in_kernel(base, token, kernel["id"], "print(6 * 7)") == "42\n"
    status, _ = _get(base, token, "/api/shutdown", method="POST")
    assert status in (200, 204)
    assert proc.wait(timeout=30) == 0
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Kernel started" in log
    assert "without encryption" not in log, log[-2000:]
