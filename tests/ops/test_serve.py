"""`payvand serve`: gunicorn processes answer, a scrape counts every process, HUP reloads
without dropping the site, TERM stops it cleanly. Real processes on a loopback port."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

TOKEN = "serve-test-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"payvand serve exited with {process.returncode}")
        with contextlib.suppress(OSError):  # not listening yet
            if _get(url)[0] == 200:
                return
        time.sleep(0.3)
    raise AssertionError("payvand serve did not come up")


def _processes_counted(folder: Path) -> set[str]:
    """The worker pids whose metric files are in the multiprocess folder."""
    return {re.sub(r"\D", "", path.name) for path in folder.iterdir()} if folder.exists() else set()


def _logins_until_both_processes_answered(url: str, folder: Path, seconds: float = 30) -> int:
    """GET the login page in concurrent rounds of 8 until two worker processes have counted
    requests into the metrics folder; the kernel may hand a quiet listener's connections all to one
    worker, so a fixed number of sequential requests does not guarantee both answer."""
    deadline, answered = time.monotonic() + seconds, 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(_processes_counted(folder)) < 2:
            assert time.monotonic() < deadline, f"one process answered everything: {_processes_counted(folder)}"
            statuses = list(pool.map(lambda _: _get(url)[0], range(8)))
            assert statuses == [200] * 8
            answered += 8
    return answered


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    """A migrated SQLite instance (the process model does not depend on the database)."""
    folder = tmp_path / "instance"
    subprocess.run([sys.executable, "-m", "payvand.core.cli", "--instance", str(folder), "init"],
                   check=True, capture_output=True)
    return folder


def test_two_processes_serve_one_scrape_counts_both_hup_reloads_and_term_stops(instance: Path, tmp_path: Path) -> None:
    port, pidfile = _free_port(), tmp_path / "payvand.pid"
    environment = {**os.environ, "PAYVAND_METRICS_TOKEN": TOKEN, "PAYVAND_LOG_FORMAT": "json"}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "payvand.core.cli", "--instance", str(instance), "serve", "--port", str(port),
         "--workers", "2", "--threads", "2", "--pid", str(pidfile)],
        env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/healthz", process)
        logins = _logins_until_both_processes_answered(f"{base}/login", instance / "metrics")
        status, text = _get(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        count = re.search(r'payvand_http_request_duration_seconds_count\{method="GET",route="/login",status="200"\} (\S+)',
                          text)
        assert count is not None and float(count.group(1)) == logins  # whichever process answered the scrape

        master = int(pidfile.read_text())
        os.kill(master, signal.SIGHUP)
        deadline = time.monotonic() + 30
        while (tmp_path / "serve.log").read_bytes().count(b"Booting worker") < 4:  # two new workers replace the old
            assert time.monotonic() < deadline, "no new workers after HUP"
            assert _get(f"{base}/healthz")[0] == 200  # the site answers throughout the reload
            time.sleep(0.2)
        assert _get(f"{base}/healthz")[0] == 200
        os.kill(master, signal.SIGTERM)
        assert process.wait(timeout=40) == 0
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    lines = (tmp_path / "serve.log").read_text().splitlines()
    access = [json.loads(line) for line in lines if line.startswith("{") and '"payvand.access"' in line]
    assert len([line for line in access if line["route"] == "/login"]) == logins
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in access)
