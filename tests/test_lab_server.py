"""The lab really serves the series: start it on a free loopback port, use its REST API, stop it."""
import json
import secrets
import socket
import subprocess
import time
import urllib.request

import pytest

from lecture_utils.lab import NOTEBOOKS, lab_command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, token: str, path: str, method: str = "GET"):
    req = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
        return resp.status, (json.loads(body) if body and "json" in resp.headers.get("Content-Type", "") else body)


@pytest.fixture
def lab_server(tmp_path):
    """A running JupyterLab (the same command `make lab` uses), shut down through its API."""
    port, token = _free_port(), secrets.token_hex(16)
    extra = ["--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
             "--ServerApp.port_retries=0", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    env = {**__import__("os").environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    log = open(tmp_path / "lab.log", "wb")
    proc = subprocess.Popen(lab_command(extra), stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            _api(base, token, "/api/status")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait(10)  # reap it: no server (or zombie) left behind
                log.close()
                pytest.fail("lab did not start:\n"
                            + (tmp_path / "lab.log").read_text(encoding="utf-8", errors="replace")[-3000:])
            time.sleep(0.5)
    yield proc, base, token
    if proc.poll() is None:  # the test failed before shutting it down
        proc.kill()
        proc.wait(10)
    log.close()


def test_lab_serves_the_notebooks_and_shuts_down_cleanly(lab_server):
    proc, base, token = lab_server
    status, listing = _api(base, token, "/api/contents/")
    served = {item["name"] for item in listing["content"]}
    on_disk = {p.name for p in NOTEBOOKS.glob("*.ipynb")}
    assert status == 200 and on_disk and on_disk <= served

    first = sorted(on_disk)[0]
    status, model = _api(base, token, f"/api/contents/{first}?content=1")
    assert status == 200 and model["type"] == "notebook"
    assert model["content"]["cells"], "the notebook should have cells"

    status, page = _api(base, token, "/lab")
    assert status == 200 and b"JupyterLab" in page

    status, _ = _api(base, token, "/api/shutdown", method="POST")
    assert status in (200, 204)
    assert proc.wait(timeout=30) == 0
