"""Hook overhead: creating customers through the API with 50 no-op plugins versus none.

Target (kernel issue): `POST /api/v1/customers` with 50 registered no-op plugins costs at most
1.2x the same with no plugins. Two apps on two fresh SQLite databases, identical but for the
plugins, take the same request bodies in alternating blocks (so machine noise hits both
alike); the ratio of their medians is the figure judged, the ratio of means is reported too.

Each no-op plugin implements every hook of `payvand.core.hookspecs` (registration hooks
contribute nothing, contribution and event hooks do nothing). The cost of delivering the
resulting `payvand_customer_created` events to the 50 plugins through the outbox
(`JobRunner.deliver_due`) is reported per customer, for information: it runs after the
request, in the job runner.

Usage: `python benchmarks/hook_overhead.py [--requests 2000] [--plugins 50] [--deliver 50]`.
Prints one JSON document on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dataset import PERSIAN_FAMILY, PERSIAN_GIVEN, ensure_api_token, log, machine, summary_ms

TARGET_RATIO = 1.2


def hook_names() -> list[str]:
    """Every hook specification Payvand declares."""
    from payvand.core import hookspecs

    marker = f"{hookspecs.PROJECT}_spec"
    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if name.startswith("payvand_") and callable(value) and hasattr(value, marker)
    )


def _noop(name: str, arguments: list[str]) -> Any:
    """A method named `name` taking exactly the hook's arguments and doing nothing."""
    namespace: dict[str, Any] = {}
    exec(f"def {name}(self{''.join(', ' + a for a in arguments)}):\n    return None", namespace)  # noqa: S102
    return namespace[name]


def noop_plugin_class() -> type:
    """A plugin class implementing every hook as a no-op; instances differ by their `meta`."""
    from payvand.core import hookspecs
    from payvand.sdk import hookimpl

    methods = {
        name: hookimpl(_noop(name, list(inspect.signature(getattr(hookspecs, name)).parameters)))
        for name in hook_names()
    }
    return type(
        "NoopPlugin",
        (),
        {"__doc__": "A plugin that implements every hook and does nothing.", **methods},
    )


def noop_plugins(count: int) -> list[Any]:
    """`count` distinct no-op plugin objects named noop0, noop1, ..."""
    from payvand.sdk import PluginMeta

    cls = noop_plugin_class()
    plugins = []
    for index in range(count):
        plugin = cls()
        plugin.meta = PluginMeta(name=f"noop{index}", version="1.0", title=f"No-op {index}")
        plugins.append(plugin)
    return plugins


def make_app(folder: Path, name: str, plugins: list[Any]) -> tuple[Any, str]:
    """A migrated database and an app with exactly `plugins` enabled, and an API token for it."""
    from payvand.core import permissions as perm
    from payvand.core.app import create_app
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade

    url = f"sqlite:///{folder / f'{name}.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    token = ensure_api_token(
        url, [perm.CUSTOMER_EDIT, perm.CUSTOMER_VIEW], email="bench-writer@example.com"
    )
    app = create_app(
        {
            "PAYVAND_DATABASE_URL": url,
            "PAYVAND_INSTANCE": str(folder / f"{name}-instance"),
            "PAYVAND_PLUGINS": [p.meta.name for p in plugins],
            "PAYVAND_EXTRA_PLUGINS": plugins,
            "PAYVAND_JOBS": "off",
            "SECRET_KEY": "benchmark",
        }
    )
    enabled = app.extensions["payvand"].plugins.enabled
    missing = {p.meta.name for p in plugins} - set(enabled)
    if missing:
        problems = app.extensions["payvand"].plugins.problems
        raise SystemExit(
            f"{name}: plugins not enabled: {sorted(missing)[:5]} ... {problems.get(min(missing))}"
        )
    return app, token


def bodies(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Request bodies of realistic shape: Persian names, an email, an Iranian mobile, a tag."""
    result = []
    for n in range(count):
        (given, g_latin), (family, f_latin) = rng.choice(PERSIAN_GIVEN), rng.choice(PERSIAN_FAMILY)
        result.append(
            {
                "given_name": given,
                "family_name": family,
                "emails": [f"{g_latin}.{f_latin}{n}@example.ir"],
                "phones": [
                    "09" + rng.choice(("12", "19", "35", "01")) + f"{rng.randrange(10**7):07d}"
                ],
                "tags": [rng.choice(("vip", "newsletter", "b2b"))],
            }
        )
    return result


def main() -> None:
    """Measure creation with and without the plugins, interleaved; then outbox delivery; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--requests", type=int, default=2000, help="timed creations per app (default 2000)"
    )
    parser.add_argument(
        "--warmup", type=int, default=100, help="untimed creations per app first (default 100)"
    )
    parser.add_argument(
        "--block", type=int, default=10, help="requests per app before switching (default 10)"
    )
    parser.add_argument(
        "--plugins", type=int, default=50, help="no-op plugins in the second app (default 50)"
    )
    parser.add_argument(
        "--deliver",
        type=int,
        default=50,
        help="events to deliver for the outbox figure (default 50)",
    )
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    workdir = tempfile.TemporaryDirectory(prefix="payvand-hooks-")
    folder = Path(workdir.name)
    plugins = noop_plugins(args.plugins)
    log(f"{len(hook_names())} hooks; building two apps in {folder}")
    apps = {
        "none": make_app(folder, "none", []),
        f"noop{args.plugins}": make_app(folder, "noop", plugins),
    }
    clients = {
        name: (app.test_client(), {"Authorization": f"Bearer {token}"})
        for name, (app, token) in apps.items()
    }
    rng = random.Random(args.seed)
    payloads = bodies(args.warmup + args.requests + args.deliver, rng)

    def create(name: str, body: dict[str, Any]) -> int:
        client, headers = clients[name]
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        response = client.post("/api/v1/customers", json=body, headers=headers)
        elapsed = time.perf_counter_ns() - t0
        cpu[name].append(time.thread_time_ns() - c0)
        if response.status_code != 201:
            raise SystemExit(
                f"{name}: create answered {response.status_code}: {response.get_data(as_text=True)[:300]}"
            )
        return elapsed

    names = list(apps)
    cpu: dict[str, list[int]] = {name: [] for name in names}
    log(f"warm-up: {args.warmup} creations per app")
    for body in payloads[: args.warmup]:
        for name in names:
            create(name, body)
    timings: dict[str, list[int]] = {name: [] for name in names}
    timed = payloads[args.warmup : args.warmup + args.requests]
    log(f"timing {len(timed)} creations per app in alternating blocks of {args.block}")
    began = time.perf_counter()
    for block, start in enumerate(range(0, len(timed), args.block)):
        order = names if block % 2 == 0 else names[::-1]
        for name in order:
            for body in timed[start : start + args.block]:
                timings[name].append(create(name, body))
    create_seconds = time.perf_counter() - began
    figures = {name: summary_ms(samples) for name, samples in timings.items()}
    cpu_figures = {name: summary_ms(samples[-len(timed) :]) for name, samples in cpu.items()}
    ratio_cpu_p50 = round(cpu_figures[names[1]]["p50"] / cpu_figures["none"]["p50"], 3)
    base, loaded = figures["none"], figures[names[1]]
    ratio_p50 = round(loaded["p50"] / base["p50"], 3)
    ratio_mean = round(loaded["mean"] / base["mean"], 3)
    log(f"create p50: none {base['p50']} ms, {names[1]} {loaded['p50']} ms (x{ratio_p50})")

    import sqlalchemy as sa

    from payvand.core.db import utcnow
    from payvand.core.models import OutboxEvent

    delivery = {}
    for name, (app, _) in apps.items():
        runtime = app.extensions["payvand"]
        with runtime.engine.begin() as connection:  # set aside what the timed creations queued
            connection.execute(
                sa.update(OutboxEvent)
                .where(OutboxEvent.delivered_at.is_(None))
                .values(delivered_at=utcnow(), pending=[])
            )
        for body in payloads[len(payloads) - args.deliver :]:
            create(name, body)
        t0 = time.perf_counter()
        handled = runtime.job_runner.deliver_due()
        seconds = time.perf_counter() - t0
        delivery[name] = {
            "events": handled,
            "ms_per_customer": round(seconds * 1000 / max(handled, 1), 3),
            "implementers": len(runtime.plugins.implementers("payvand_customer_created")),
        }
        log(f"deliver {name}: {delivery[name]['ms_per_customer']} ms per customer")

    print(
        json.dumps(
            {
                "benchmark": "hook_overhead",
                "machine": machine(),
                "plugins": args.plugins,
                "hooks_implemented_per_plugin": len(hook_names()),
                "requests_per_app": args.requests,
                "warmup_per_app": args.warmup,
                "block": args.block,
                "seconds_creating": round(create_seconds, 1),
                "create_ms": figures,
                "ratio_p50": ratio_p50,
                "ratio_mean": ratio_mean,
                "create_cpu_ms": cpu_figures,
                "ratio_cpu_p50": ratio_cpu_p50,
                "target_ratio": TARGET_RATIO,
                "meets_target": ratio_p50 <= TARGET_RATIO,
                "outbox_delivery": delivery,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    for app, _ in apps.values():
        app.extensions["payvand"].engine.dispose()
    workdir.cleanup()


if __name__ == "__main__":
    main()
