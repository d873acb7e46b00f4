"""Compare two junit files of whole-suite runs (scripts/dev/speedrun.sh): totals, and the summed
durations of the tests present and passing in both (the same tests), overall and per test package.

    python scripts/dev/junit_compare.py /tmp/speed-base.xml /tmp/speed-after.xml [--modules 25]
"""

from __future__ import annotations

import argparse
import collections
import xml.etree.ElementTree as ET


def _cases(path: str) -> dict[str, tuple[float, bool]]:
    """Test id → (duration, passed) of one junit file."""
    out: dict[str, tuple[float, bool]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        key = f"{case.get('classname')}::{case.get('name')}"
        bad = any(child.tag in ("failure", "error", "skipped") for child in case)
        out[key] = (float(case.get("time", 0) or 0), not bad)
    return out


def main() -> None:
    """Print the comparison."""
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--modules", type=int, default=20)
    args = parser.parse_args()
    before, after = _cases(args.before), _cases(args.after)
    for label, cases in (("before", before), ("after", after)):
        passed = [d for d, ok in cases.values() if ok]
        print(f"{label}: {len(passed)} passed, summed {sum(d for d, _ in cases.values()):.0f} s")
    same = [k for k in before if k in after and before[k][1] and after[k][1]]
    b = sum(before[k][0] for k in same)
    a = sum(after[k][0] for k in same)
    print(f"same tests ({len(same)}): before {b:.0f} s, after {a:.0f} s, change {100 * (a - b) / b:+.1f} %")
    per_package: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
    for k in same:
        package = k.split("::")[0].rsplit(".", 1)[0] if "." in k.split("::")[0] else k.split("::")[0]
        per_package[package][0] += before[k][0]
        per_package[package][1] += after[k][0]
    rows = sorted(per_package.items(), key=lambda item: -item[1][0])[: args.modules]
    for package, (mb, ma) in rows:
        print(f"  {package:60s} {mb:7.1f} → {ma:7.1f} s ({100 * (ma - mb) / mb if mb else 0:+.0f} %)")


if __name__ == "__main__":
    main()
