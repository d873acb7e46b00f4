"""A process that dies between a route's commit and the storing of its answer, for the tests:
`python crash_process.py CONFIG_JSON TOKEN KEY BODY_JSON` POSTs BODY to `/api/v1/customers`
with `Idempotency-Key: KEY` and exits with 97 from inside the request, once the route has
committed and before the idempotency hook can store its answer."""

from __future__ import annotations

import json
import os
import sys

CRASHED = 97


def main(argv: list[str]) -> None:
    """Build the app described by CONFIG on the test's database and send the request that crashes."""
    from flask import Response

    from payvand.core.app import create_app
    from tests.api.plugin import ApiTestPlugin

    config, token, key, body = json.loads(argv[0]), argv[1], argv[2], json.loads(argv[3])
    app = create_app({**config, "PAYVAND_EXTRA_PLUGINS": [ApiTestPlugin()]})

    @app.after_request  # registered last, so it runs first: after the view, before the key is stored
    def _die(response: Response) -> Response:
        sys.stdout.write(f"{response.status_code}\n")
        sys.stdout.flush()
        os._exit(CRASHED)

    app.test_client().post("/api/v1/customers", json=body,
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


if __name__ == "__main__":
    main(sys.argv[1:])
