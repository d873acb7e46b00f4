"""payvand.sdk: the one import for plugin authors — small, documented and stable.

Everything a plugin needs is here; anything under `payvand.core` is private and may change
between releases. First-party plugins import only this package. The names are grouped by
purpose into submodules, and this module re-exports all of them, so `from payvand.sdk import
session` and `from payvand.sdk.records import session` give the same object:

- `payvand.sdk.records` — the session, settings, models and column types, customers,
  interactions, audit, normalisation of stored values, CSV files
- `payvand.sdk.hooks` — `hookimpl`, `PluginMeta`, the value types hooks return, `call_hook`
- `payvand.sdk.web` — page and API guards, forms, the API blueprint, rate limits, uploads
- `payvand.sdk.lists` — declarative lists: arguments, keyset pages, the list macro, CSV
- `payvand.sdk.i18n` — translation, formatting and parsing in `fa` and `en`, digits
- `payvand.sdk.time` — the site's time zone, business dates, the Jalali calendar
- `payvand.sdk.mail` — sending email
- `payvand.sdk.messages` — messages on any channel: send, receive, receipts, writing a channel

Not re-exported (import them from their module): `payvand.sdk.pdf` (fonts for PDFs),
`payvand.sdk.documents` (the document kit: numbering, status flows, lines and totals, PDF
pages, mail after the commit) and `payvand.sdk.testing` (the pytest plugin and its checks).

Stability (the integrator guide's "SDK reference and stability" has a table per submodule):
a name is *stable* unless its submodule lists it in `PROVISIONAL`. A stable name changes
incompatibly only in a major release (while Payvand is 0.x, a minor one; never a patch
release), and only after at least one release in which the old form keeps working with a
`DeprecationWarning` (`MOVED` below). A provisional name may change in any minor release
without that notice (pin `payvand` to a minor version if you use one). Compatible changes —
a new name, a new keyword argument with a default, a new field with a default on a value
type — may come in any release.

Adding a name: define or import it in the submodule of its purpose, add it to that
submodule's `__all__` (and to its `PROVISIONAL` while it may still change), and give it a row
in that submodule's table in the guide; `tests/test_sdk.py` keeps the three in step. A new
purpose gets a new submodule: import it below as the others are (the module, its `*`, its
place in `GROUPS` and its `__all__`) and give it a table in the guide.
"""

from __future__ import annotations

import warnings
from typing import Any

from payvand.sdk import hooks, i18n, lists, mail, messages, records, time, web
from payvand.sdk.hooks import *  # noqa: F403
from payvand.sdk.i18n import *  # noqa: F403
from payvand.sdk.lists import *  # noqa: F403
from payvand.sdk.mail import *  # noqa: F403
from payvand.sdk.messages import *  # noqa: F403
from payvand.sdk.records import *  # noqa: F403
from payvand.sdk.time import *  # noqa: F403
from payvand.sdk.web import *  # noqa: F403

#: The submodules re-exported here, in the order of the guide's tables.
GROUPS = (records, hooks, web, lists, i18n, time, mail, messages)

__all__: list[str] = []
__all__ += records.__all__
__all__ += hooks.__all__
__all__ += web.__all__
__all__ += lists.__all__
__all__ += i18n.__all__
__all__ += time.__all__
__all__ += mail.__all__
__all__ += messages.__all__

#: The re-exported names that may change in a minor release (every other name is stable).
PROVISIONAL = frozenset().union(*(group.PROVISIONAL for group in GROUPS))

#: Names that moved out of this module: importing them here still works, with a warning,
#: until the release named.
MOVED = {"font_path": ("payvand.sdk.pdf", "0.3")}


def __getattr__(name: str) -> Any:
    """The moved names (`MOVED`), with a `DeprecationWarning` saying where they live now."""
    if name in MOVED:
        import importlib

        module, until = MOVED[name]
        warnings.warn(f"payvand.sdk.{name} moved to {module}.{name}; the old name goes in {until}",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
