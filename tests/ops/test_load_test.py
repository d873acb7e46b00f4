"""`benchmarks/load_test.py` keeps working: a tiny run end to end (a real `payvand serve` and
`payvand worker` on a loopback port, SQLite, a few seconds), its JSON complete and error-free."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_tiny_load_test_serves_the_whole_mix_without_errors_and_reports_cpu_and_saturation(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYVAND_")}
    env["PAYVAND_BENCH_DATA_DIR"] = str(tmp_path / "data")
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load_test.py"), "--customers", "300", "--interactions", "3000",
         "--processes", "1", "--threads", "2", "--users", "3", "--generators", "1", "--warmup", "1",
         "--duration", "3", "--port", str(_free_port()), "--label", "test"],
        capture_output=True, text=True, env=env, timeout=120, cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["database"] == "sqlite" and report["errors"] == 0
    assert len(report["machine"]["loadavg"]) == 3 and len(report["machine_at_end"]["loadavg"]) == 3
    (round_,) = report["rounds"]
    assert round_["web_processes"] == 1 and round_["errors"] == 0 and not round_["login_failures"]
    assert round_["requests"] > 0 and round_["throughput_rps"] > 0
    assert set(round_["by_kind"]) == set(report["mix_percent"])
    assert sum(kind.get("n", 0) for kind in round_["by_kind"].values()) == round_["requests"]
    assert {"web", "workers", "database", "load_generator", "machine"} <= set(round_["cpu"])
    assert round_["cpu"]["web"]["processes"] >= 2  # gunicorn's master and its worker
    assert round_["cpu"]["web"]["cpu_seconds"] > 0
    assert round_["saturation"]["verdict"] and "load_generator_is_bottleneck" in round_["saturation"]
    assert "payvand_outbox_pending_events" in round_["outbox_after"]
