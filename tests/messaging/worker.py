"""A worker for the kill -9 test: `python worker.py CONFIG_JSON [pause]` runs the job runner until killed.

With `pause`, the email channel prints `sending` and stops for good once it has been given a
batch (the rows are claimed, nothing has gone to the server): the test kills it there.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time


def main(argv: list[str]) -> None:
    """Run the job runner's loop for the app described by `argv[0]`."""
    from payvand.core.app import create_app
    from payvand.core.jobs import JobRunner
    from payvand.core.messaging import dispatch
    from payvand.core.messaging.email_channel import EmailChannel

    config = json.loads(argv[0])
    dispatch.LEASE = dt.timedelta(seconds=float(config.pop("MESSAGE_LEASE_SECONDS", 120)))
    if argv[1:] == ["pause"]:
        def paused(self, messages):  # type: ignore[no-untyped-def]
            print("sending", len(messages), flush=True)
            time.sleep(3600)

        EmailChannel.send = paused  # type: ignore[method-assign]
    app = create_app({**config, "PAYVAND_JOBS": "off"})
    runner = JobRunner(app.extensions["payvand"], app=app, idle_seconds=0.2)
    print("ready", flush=True)
    runner.loop()


if __name__ == "__main__":
    main(sys.argv[1:])
