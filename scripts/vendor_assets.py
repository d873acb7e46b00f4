#!/usr/bin/env python3
"""Vendor the staff web UI's front-end assets from pinned npm packages.

    python scripts/vendor_assets.py            # fetch the pins, rebuild core/static/vendor/
    python scripts/vendor_assets.py --check    # verify core/static/vendor/ (no network)

The pins live in ``scripts/assets.json`` (exact versions only). For each package the
script runs ``npm pack <name>@<version>`` into a temporary directory (no node_modules,
nothing installed globally), checks the tarball against the registry's integrity
(``npm view <name>@<version> dist --json``), extracts it with :mod:`tarfile`, and copies
the listed files and the licence into ``core/static/vendor/<name>/``. It then writes
``core/static/vendor/manifest.json`` with each package's version, npm integrity and
shasum, and the sha256 of every copied file.

``core/static/vendor/`` belongs to this script: it is rebuilt whole on every run, so
files dropped from the pin list disappear. The output is deterministic (no timestamps),
so running the script twice gives identical files. The output is committed, so
installing Payvand needs no Node. See docs/dev/assets.md.

Only the Python 3.11 standard library and the ``npm`` CLI are used.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "scripts" / "assets.json"
VENDOR = ROOT / "core" / "static" / "vendor"
MANIFEST_NAME = "manifest.json"

EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class VendorError(Exception):
    """A pin, download or check that failed; the message says which and why."""


# --------------------------------------------------------------------------- pins


def load_pins(path: Path = PINS) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    packages = data["packages"]
    seen: set[str] = set()
    for pkg in packages:
        name, version = pkg["name"], pkg["version"]
        if not SAFE_NAME.match(name):
            raise VendorError(f"{name!r}: unsupported package name (use an unscoped npm name)")
        if name in seen:
            raise VendorError(f"{name}: listed twice")
        seen.add(name)
        if not EXACT_VERSION.match(version):
            raise VendorError(f"{name}: version {version!r} is not an exact x.y.z pin")
        if not pkg.get("files"):
            raise VendorError(f"{name}: no files listed")
        if not pkg.get("license"):
            raise VendorError(f"{name}: no licence file named")
        for src in [*pkg["files"], pkg["license"]]:
            _safe_relpath(src, name)
    return packages


def _safe_relpath(rel: str, name: str) -> PurePosixPath:
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise VendorError(f"{name}: unsafe path {rel!r}")
    return p


def destinations(pkg: dict) -> dict[str, str]:
    """Map each source path inside the package to its path under vendor/<name>/."""
    prefix = pkg.get("strip_prefix", "")
    out: dict[str, str] = {}
    for src in pkg["files"]:
        dest = src[len(prefix):] if prefix and src.startswith(prefix) else src
        out[src] = dest
    lic = pkg["license"]
    out[lic] = PurePosixPath(lic).name
    if len(set(out.values())) != len(out):
        raise VendorError(f"{pkg['name']}: two files map to the same destination")
    return out


# --------------------------------------------------------------------------- hashing


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_tarball(tgz: Path, integrity: str, shasum: str, label: str) -> None:
    blob = tgz.read_bytes()
    algo, _, expected = integrity.partition("-")
    if algo not in {"sha512", "sha384", "sha256", "sha1"}:
        raise VendorError(f"{label}: unsupported integrity algorithm {algo!r}")
    actual = base64.b64encode(hashlib.new(algo, blob).digest()).decode()
    if actual != expected:
        raise VendorError(f"{label}: tarball {algo} does not match the registry's integrity")
    if shasum and hashlib.sha1(blob).hexdigest() != shasum:
        raise VendorError(f"{label}: tarball sha1 does not match the registry's shasum")


# --------------------------------------------------------------------------- npm


def _npm(*args: str, cwd: Path) -> str:
    npm = shutil.which("npm")
    if not npm:
        raise VendorError("the npm CLI is not on PATH")
    env = dict(os.environ, npm_config_fund="false", npm_config_audit="false",
               npm_config_update_notifier="false")
    proc = subprocess.run([npm, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise VendorError(f"npm {' '.join(args)} failed:\n{proc.stderr.strip()}")
    return proc.stdout


def fetch(pkg: dict, workdir: Path) -> tuple[Path, dict]:
    """npm pack the pinned version into workdir; return (extracted package dir, dist info)."""
    spec = f"{pkg['name']}@{pkg['version']}"
    dist = json.loads(_npm("view", spec, "dist", "--json", cwd=workdir))
    if not isinstance(dist, dict) or "integrity" not in dist:
        raise VendorError(f"{spec}: npm view returned no dist information")
    packed = json.loads(_npm("pack", spec, "--json", "--pack-destination", str(workdir),
                             cwd=workdir))
    tgz = workdir / packed[0]["filename"]
    if packed[0].get("version") != pkg["version"]:
        raise VendorError(f"{spec}: npm pack returned version {packed[0].get('version')}")
    _check_tarball(tgz, dist["integrity"], dist.get("shasum", ""), spec)
    out = workdir / f"x-{pkg['name']}"
    out.mkdir()
    with tarfile.open(tgz, "r:gz") as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
            tar.extractall(out, filter="data")
        else:
            for member in tar.getmembers():
                _safe_relpath(member.name, spec)
                if member.issym() or member.islnk() or member.isdev():
                    raise VendorError(f"{spec}: links or devices in the tarball")
            tar.extractall(out)
    root = out / "package"
    if not root.is_dir():  # a few packages use another top-level folder name
        (root,) = [p for p in out.iterdir() if p.is_dir()]
    return root, dist


# --------------------------------------------------------------------------- vendor


def vendor(pins_path: Path = PINS, vendor_dir: Path = VENDOR) -> dict:
    packages = load_pins(pins_path)
    manifest: dict = {
        "_generated_by": "scripts/vendor_assets.py from scripts/assets.json; do not edit",
        "packages": {},
    }
    vendor_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="payvand-vendor-") as tmp:
        tmp_path = Path(tmp)
        staging = tmp_path / "vendor"
        staging.mkdir()
        for pkg in packages:
            name = pkg["name"]
            print(f"fetching {name}@{pkg['version']} ...", file=sys.stderr)
            work = tmp_path / f"npm-{name}"
            work.mkdir()
            src_root, dist = fetch(pkg, work)
            files: dict[str, str] = {}
            for src, dest in sorted(destinations(pkg).items(), key=lambda kv: kv[1]):
                source = src_root / src
                if not source.is_file():
                    raise VendorError(f"{name}@{pkg['version']}: no file {src!r} in the package")
                target = staging / name / dest
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                files[dest] = sha256_file(target)
            manifest["packages"][name] = {
                "version": pkg["version"],
                "license_file": PurePosixPath(pkg["license"]).name,
                "integrity": dist["integrity"],
                "shasum": dist.get("shasum", ""),
                "tarball": dist.get("tarball", ""),
                "files": files,
            }
        (staging / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        if vendor_dir.exists():
            shutil.rmtree(vendor_dir)
        shutil.copytree(staging, vendor_dir)
    return manifest


# --------------------------------------------------------------------------- check


def check(pins_path: Path = PINS, vendor_dir: Path = VENDOR) -> list[str]:
    """Return a list of problems (empty when the vendored files match the manifest)."""
    problems: list[str] = []
    manifest_path = vendor_dir / MANIFEST_NAME
    if not manifest_path.is_file():
        return [f"missing {manifest_path}"]
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    listed: set[Path] = {manifest_path}
    for name, entry in sorted(manifest.get("packages", {}).items()):
        lic = entry.get("license_file")
        if not lic or lic not in entry.get("files", {}):
            problems.append(f"{name}: no licence file in the manifest")
        for rel, digest in sorted(entry.get("files", {}).items()):
            path = vendor_dir / name / rel
            listed.add(path)
            if not path.is_file():
                problems.append(f"{name}: missing {rel}")
            elif sha256_file(path) != digest:
                problems.append(f"{name}: {rel} does not match its sha256 in the manifest")
    for path in sorted(p for p in vendor_dir.rglob("*") if p.is_file()):
        if path not in listed:
            problems.append(f"unexpected file {path.relative_to(vendor_dir)} (not in the manifest)")
    # The manifest must also describe the current pins (catches an edit to assets.json
    # that was never followed by a run of this script).
    try:
        packages = load_pins(pins_path)
    except (VendorError, KeyError, json.JSONDecodeError) as exc:
        problems.append(f"{pins_path.name}: {exc}")
        return problems
    pinned = {p["name"]: p for p in packages}
    have = manifest.get("packages", {})
    for name in sorted(set(pinned) | set(have)):
        if name not in have:
            problems.append(f"{name}: pinned in {pins_path.name} but not vendored; run the script")
        elif name not in pinned:
            problems.append(f"{name}: vendored but no longer pinned; run the script")
        else:
            if have[name].get("version") != pinned[name]["version"]:
                problems.append(f"{name}: vendored {have[name].get('version')}, pinned "
                                f"{pinned[name]['version']}; run the script")
            if set(have[name].get("files", {})) != set(destinations(pinned[name]).values()):
                problems.append(f"{name}: vendored files differ from the pin list; run the script")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="verify core/static/vendor against manifest.json (no network)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = check()
            for problem in problems:
                print(f"vendor check: {problem}", file=sys.stderr)
            if problems:
                return 1
            print("vendored assets match manifest.json")
            return 0
        manifest = vendor()
    except VendorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, entry in manifest["packages"].items():
        print(f"{name} {entry['version']}: {len(entry['files'])} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
