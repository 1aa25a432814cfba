"""Packaging tests: regular and editable installs put the hunter.pth hook in site-packages, and it behaves."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import REPO, child_env, describe, run_python

PTH = REPO / "src" / "hunter.pth"
BAD_VALUE_MESSAGE = "Failed to load hunter from PYTHONHUNTER environ variable"

# What a copy of the project leaves out: version control, local virtualenvs and build leftovers.
_NOT_PROJECT = shutil.ignore_patterns(
    ".git", ".venvs", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"
)


@dataclass(frozen=True)
class Installed:
    """A fresh virtualenv with the project installed in it."""

    mode: str
    project: Path
    python: Path
    site_packages: Path


def run(argv: list[str | os.PathLike[str]], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a build or install command, failing the test with its full output if it fails."""
    result = subprocess.run([os.fspath(arg) for arg in argv], capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"command failed: {' '.join(map(str, result.args))}\n{describe(result)}", pytrace=False)
    return result


def copy_project(target: Path) -> Path:
    """Copy the project to ``target`` so that builds never write build/ or *.egg-info into the checkout."""
    return Path(shutil.copytree(REPO, target, ignore=_NOT_PROJECT))


@pytest.fixture(scope="module")
def build_tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder holding only pip, setuptools and wheel from the test environment, for PYTHONPATH.

    The fresh virtualenvs are made without pip (ensurepip costs seconds) and the install must not need the
    network (--no-build-isolation), so pip and the build requirements come from the running test environment.
    Exposing the whole test site-packages instead would also expose the hunter installed there.
    """
    folder = tmp_path_factory.mktemp("build-tools")
    for dist in distributions_needed(["pip", "setuptools", "wheel"]):
        # Top-level entries of the distribution (packages, modules, .pth files, the dist-info folder); paths
        # starting with ".." are console scripts outside site-packages.
        tops = {Path(str(file)).parts[0] for file in dist.files or ()} - {"..", "__pycache__"}
        for top in sorted(tops):
            source = Path(str(dist.locate_file(top)))
            if source.exists() and not (folder / top).exists():
                (folder / top).symlink_to(source, target_is_directory=source.is_dir())
    return folder


def distributions_needed(names: list[str]) -> list[importlib.metadata.Distribution]:
    """Return the installed distributions ``names`` and, recursively, those they require (extras aside)."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = re.sub(r"[-_.]+", "-", pending.pop()).lower()
        if name in found:
            continue
        try:
            found[name] = dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            if name in names:
                pytest.skip(f"{name} is not installed in the test environment (install the [test] extra)")
            continue  # an optional or platform-specific requirement that this environment does without
        for requirement in dist.requires or ():
            if "extra ==" not in requirement.replace('"', "").replace("'", ""):
                pending.append(re.match(r"[A-Za-z0-9._-]+", requirement).group())  # type: ignore[union-attr]
    return list(found.values())


def make_venv(path: Path) -> Path:
    """Create a bare virtualenv at ``path`` and return its interpreter; skip the test if that is impossible."""
    result = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", os.fspath(path)], capture_output=True, text=True, check=False
    )
    python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if result.returncode != 0 or not python.exists():
        pytest.skip(f"cannot create a virtualenv with {sys.executable} -m venv: {result.stderr.strip()}")
    return python


def install(tmp_path: Path, build_tools: Path, mode: str) -> Installed:
    """Install a copy of the project into a new virtualenv, regularly or editable, offline."""
    project = copy_project(tmp_path / "project")
    python = make_venv(tmp_path / "venv")
    editable = ["-e"] if mode == "editable" else []
    run(
        [python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "--no-index", *editable, project],
        env=child_env({"PYTHONPATH": os.fspath(build_tools), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}, backend=False),
    )
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    return Installed(mode, project, python, Path(purelib))


@pytest.fixture(scope="module", params=["regular", "editable"])
def installed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, build_tools: Path) -> Installed:
    """The project installed in a fresh virtualenv, once per install mode."""
    return install(tmp_path_factory.mktemp(request.param), build_tools, request.param)


def test_hook_is_in_site_packages(installed: Installed) -> None:
    """The install puts hunter.pth, unchanged, at the root of site-packages."""
    hook = installed.site_packages / "hunter.pth"
    assert hook.is_file(), sorted(path.name for path in installed.site_packages.iterdir())
    assert hook.read_bytes() == PTH.read_bytes()


def test_package_comes_from_the_right_place(installed: Installed) -> None:
    """A regular install imports from site-packages; an editable one from the project's source tree."""
    result = run_python("import hunter; print(hunter.__file__)", python=installed.python, backend=False)
    assert result.returncode == 0, describe(result)
    location = Path(result.stdout.strip()).resolve()
    expected = installed.project / "src" if installed.mode == "editable" else installed.site_packages
    assert location.is_relative_to(expected.resolve()), location


def test_pythonhunter_traces(installed: Installed) -> None:
    """With PYTHONHUNTER set, an unmodified program is traced."""
    result = run_python(
        "import posixpath; posixpath.join('a', 'b')",
        python=installed.python,
        env={"PYTHONHUNTER": 'module="posixpath"'},
        backend=False,
    )
    assert result.returncode == 0, describe(result)
    assert re.search(r"=> join\(", result.stderr, re.MULTILINE), describe(result)


def test_unset_does_not_import(installed: Installed) -> None:
    """Without PYTHONHUNTER the hook must not import hunter: start-up cost stays next to nothing."""
    result = run_python("import sys; print('hunter' in sys.modules)", python=installed.python, backend=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "False\n", ""), describe(result)


def test_empty_value_does_not_import(installed: Installed) -> None:
    """An empty PYTHONHUNTER counts as unset (e.g. ``PYTHONHUNTER= python app.py`` to switch it off)."""
    result = run_python(
        "import sys; print('hunter' in sys.modules)", python=installed.python, env={"PYTHONHUNTER": ""}, backend=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "False\n", ""), describe(result)


def test_bad_value_prints_one_line_and_runs_on(installed: Installed) -> None:
    """A value that does not parse prints one line and the program still runs, untraced, to a clean exit."""
    result = run_python(
        "print('still running')", python=installed.python, env={"PYTHONHUNTER": "module=="}, backend=False
    )
    assert result.returncode == 0, describe(result)
    assert result.stdout == "still running\n", describe(result)
    # Exactly one line: in a virtualenv, site.py processes site-packages' .pth files twice (CPython 3.10-3.13),
    # and the hook must not report the error twice.
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(BAD_VALUE_MESSAGE), describe(result)


def test_uninstall_removes_hook(tmp_path: Path, build_tools: Path) -> None:
    """pip uninstall removes hunter.pth too, which proves the wheel's RECORD lists it."""
    target = install(tmp_path, build_tools, "regular")
    assert (target.site_packages / "hunter.pth").exists()
    run(
        [target.python, "-m", "pip", "uninstall", "-q", "-y", "hunter"],
        env=child_env({"PYTHONPATH": os.fspath(build_tools)}, backend=False),
    )
    # pip may remove site-packages itself once it is empty; glob copes with that.
    leftovers = sorted(path.name for path in target.site_packages.glob("hunter*"))
    assert leftovers == []


def test_wheel_and_sdist_contents(tmp_path: Path, build_tools: Path) -> None:
    """The wheel holds the hook at its root with a correct RECORD line; the sdist can rebuild it."""
    project = copy_project(tmp_path / "project")
    out = tmp_path / "out"
    env = child_env({"PYTHONPATH": os.fspath(build_tools)}, backend=False)
    offline = ["--no-build-isolation", "--no-deps", "--no-index"]
    run([sys.executable, "-m", "pip", "wheel", "-q", *offline, "-w", out, project], env=env)
    (wheel,) = out.glob("hunter-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "hunter.pth" in names
        assert archive.read("hunter.pth") == PTH.read_bytes()
        assert "hunter/py.typed" in names
        (record_name,) = [name for name in names if name.endswith(".dist-info/RECORD")]
        rows = list(csv.reader(io.StringIO(archive.read(record_name).decode("utf-8"))))
        # Every file but RECORD itself is listed once, with the right hash and size.
        listed = {row[0]: row for row in rows}
        assert len(listed) == len(rows)
        assert set(listed) == set(names)
        for name, (_, digest, size) in listed.items():
            if name == record_name:
                assert (digest, size) == ("", "")
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
            assert (digest, size) == (f"sha256={expected}", str(len(data))), name

    # The sdist, built through the backend's own hook, must ship what rebuilding the wheel needs.
    # setuptools logs to stdout as well, so the hook's answer is the last line.
    backend_path = os.pathsep.join([os.fspath(project / "_build"), os.fspath(build_tools)])
    built = run(
        [sys.executable, "-c", f"import hunter_build; print(hunter_build.build_sdist({os.fspath(out)!r}))"],
        cwd=project,
        env={**env, "PYTHONPATH": backend_path},
    )
    sdist_name = built.stdout.strip().splitlines()[-1]
    with tarfile.open(out / sdist_name) as sdist:
        members = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"pyproject.toml", "src/hunter.pth", "_build/hunter_build.py", "src/hunter/py.typed"} <= members
    # (the C extension's sources and the headers they include: without them the sdist builds no extension)
    assert {
        "src/hunter/_speedups.c",
        "src/hunter/_value_json.c",
        "src/hunter/_buffer.h",
        "src/hunter/_value_json.h",
    } <= members
