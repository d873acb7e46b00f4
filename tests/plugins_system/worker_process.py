"""A worker for the tests: `python worker_process.py CONFIG_JSON MODULE` delivers events with
the plugins in MODULE's `PLUGINS` until killed (the test owns the process)."""

from __future__ import annotations

import importlib
import json
import sys


def main(argv: list[str]) -> None:
    """Run the job runner's loop for the app described by `argv`."""
    from payvand.core.app import create_app
    from payvand.core.jobs import JobRunner

    config = json.loads(argv[0])
    config["PAYVAND_EXTRA_PLUGINS"] = importlib.import_module(argv[1]).PLUGINS
    app = create_app({**config, "PAYVAND_JOBS": "off"})
    runner = JobRunner(app.extensions["payvand"], app=app, batch=int(config.get("BATCH", 50)))
    runner.slice_seconds = 3600.0  # one transaction per plugin per batch: the kill lands inside one
    print("ready", flush=True)
    runner.loop()


if __name__ == "__main__":
    main(sys.argv[1:])
