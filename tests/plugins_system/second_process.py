"""A second web process for the tests: `python second_process.py CONFIG_JSON MODULE...`.

Builds a Payvand app from the JSON configuration, with the named plugin modules (importable
from `PYTHONPATH`) installed, serves it with Werkzeug's threaded server on a free port of
127.0.0.1, prints the port on one line, and serves until it is terminated. The test that
starts it owns the process and ends it.
"""

from __future__ import annotations

import importlib
import json
import sys


def main(argv: list[str]) -> None:
    """Serve the app described by `argv` (see the module docstring) until terminated."""
    from werkzeug.serving import make_server

    from payvand.core.app import create_app

    config = json.loads(argv[0])
    config["PAYVAND_EXTRA_PLUGINS"] = [importlib.import_module(name) for name in argv[1:]]
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    try:
        server.serve_forever()
    finally:
        app.extensions["payvand"].engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
