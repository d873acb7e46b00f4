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
    assert round_["cpu"]["web"]["cpu_seconds"] > 0 and round_["cpu_ms_per_request"]["web"] > 0
    assert round_["saturation"]["verdict"] and "load_generator_is_bottleneck" in round_["saturation"]
    assert "payvand_outbox_pending_events" in round_["outbox_after"]


def _verdict(web: float, database: float, generator: float, busy: float, processes: int = 2,
             generators: int = 2) -> dict:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import load_test
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    group = lambda cores: {"cores": cores, "cpu_seconds": cores * 10, "processes": 1}  # noqa: E731
    cpu = {"web": group(web), "database": group(database), "workers": group(0.1), "load_generator": group(generator),
           "machine": {"busy_cores": busy, "cores": 4}}
    return load_test.saturation(cpu, processes, generators)


def test_the_verdict_names_the_load_generator_when_it_runs_out_of_cores_first() -> None:
    verdict = _verdict(web=1.0, database=0.5, generator=1.8, busy=3.4)
    assert verdict["verdict"] == "load generator" and verdict["load_generator_is_bottleneck"]


def test_the_verdict_names_web_processes_near_one_core_each_and_warns_of_other_work() -> None:
    assert _verdict(web=1.8, database=0.4, generator=0.3, busy=2.6)["verdict"] == "web processes (each near one core)"
    shared = _verdict(web=0.5, database=0.2, generator=0.1, busy=3.9)
    assert shared["verdict"].startswith("machine CPU") and shared["shared_machine_warning"]
    assert shared["cores_used"]["other_processes_on_machine"] == 3.0
