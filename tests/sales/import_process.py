"""An import in its own process, for the crash tests: `python import_process.py CONFIG_JSON KIND FILE STOP_AFTER`.

Imports FILE through the sales plugin's own service (`KIND`: leads or products) in one
transaction, as `payvand sales import-leads` and `import-products` run it. With STOP_AFTER > 0
it prints "mid" once that many batches are written (not committed) and waits there to be
killed; with 0 it runs to the end, commits and prints the counts as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def main(argv: list[str]) -> None:
    """Run the import described by `argv`."""
    import payvand.plugins.sales as sales
    from payvand.core.app import create_app
    from payvand.core.db import bind_session
    from payvand.plugins.sales.services import lead_import, product_import

    config, kind, path, stop_after = json.loads(argv[0]), argv[1], argv[2], int(argv[3])
    app = create_app({**config, "PAYVAND_EXTRA_PLUGINS": [sales], "PAYVAND_JOBS": "off"})
    module: Any = lead_import if kind == "leads" else product_import
    written = 0
    real_run = module._Importer.run

    def run(self: Any, batch: list[Any]) -> None:  # the service's own batch, then a count
        nonlocal written
        real_run(self, batch)
        written += 1
        if written == stop_after:
            print("mid", flush=True)
            time.sleep(3600)  # killed here: the written batches are in the open transaction

    module._Importer.run = run
    runtime = app.extensions["payvand"]
    with app.app_context(), runtime.sessionmaker() as session, bind_session(session):
        if kind == "leads":
            result = lead_import.import_leads(path, batch_size=int(config["BATCH"]))
            counts = {"created": result.created, "skipped": len(result.skipped), "errors": len(result.errors)}
        else:
            done = product_import.import_products(path, batch_size=int(config["BATCH"]))
            counts = {"created": done.created, "updated": done.updated, "errors": len(done.errors)}
        session.commit()
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
