"""The vendored front-end assets match their manifest (see docs/dev/assets.md).

Runs ``scripts/vendor_assets.py --check``, which needs no network and no Node.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "core" / "static" / "vendor"
SCRIPT = ROOT / "scripts" / "vendor_assets.py"


def _manifest() -> dict:
    return json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))


def test_check_mode_passes():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_every_manifest_file_exists_and_each_package_keeps_its_licence():
    packages = _manifest()["packages"]
    assert {"bootstrap", "htmx.org", "chart.js", "vazirmatn"} <= set(packages)
    for name, entry in packages.items():
        for rel in entry["files"]:
            assert (VENDOR / name / rel).is_file(), f"{name}: {rel} missing"
        licence = entry["license_file"]
        assert licence in entry["files"], f"{name}: licence not vendored"
        assert (VENDOR / name / licence).stat().st_size > 0


def test_rtl_bootstrap_and_pinned_majors():
    packages = _manifest()["packages"]
    assert "css/bootstrap.rtl.min.css" in packages["bootstrap"]["files"]
    assert packages["bootstrap"]["version"].startswith("5.3.")
    assert packages["htmx.org"]["version"].startswith("2.0.")  # 4.x is a rewrite
    assert packages["chart.js"]["version"].startswith("4.")


def test_check_mode_detects_a_changed_file(tmp_path):
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import vendor_assets
    finally:
        sys.path.remove(str(SCRIPT.parent))

    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR, copy)
    assert vendor_assets.check(vendor_dir=copy) == []
    target = copy / "htmx.org" / "htmx.min.js"
    target.write_bytes(target.read_bytes() + b"\n")
    (copy / "bootstrap" / "LICENSE").unlink()
    problems = vendor_assets.check(vendor_dir=copy)
    assert any("htmx.min.js" in p for p in problems)
    assert any("missing LICENSE" in p for p in problems)
