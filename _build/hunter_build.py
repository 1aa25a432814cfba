"""In-tree PEP 517/660 build backend: setuptools, plus the top-level ``hunter.pth`` start-up hook in every wheel."""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import zipfile
from pathlib import Path

from setuptools import build_meta as _setuptools

# PEP 517 runs every hook with the project root as the working directory, which is also true when pip builds
# from an unpacked sdist (MANIFEST.in ships this file there).
PTH_SOURCE = Path("src", "hunter.pth")
# The name the hook gets at the root of the wheel, i.e. directly in site-packages: site.py only executes
# ``import`` lines of .pth files found there, never inside packages.
PTH_NAME = "hunter.pth"

# What frontends pass as config_settings (PEP 517): keys to strings or lists of strings.
ConfigSettings = dict[str, str | list[str]] | None


def get_requires_for_build_wheel(config_settings: ConfigSettings = None) -> list[str]:
    """Return what building a wheel needs besides the build-system requirements."""
    return _setuptools.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_editable(config_settings: ConfigSettings = None) -> list[str]:
    """Return what building an editable wheel needs besides the build-system requirements."""
    return _setuptools.get_requires_for_build_editable(config_settings)


def get_requires_for_build_sdist(config_settings: ConfigSettings = None) -> list[str]:
    """Return what building an sdist needs besides the build-system requirements."""
    return _setuptools.get_requires_for_build_sdist(config_settings)


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: ConfigSettings = None) -> str:
    """Write the .dist-info metadata folder for a regular wheel (the hook does not change metadata)."""
    return _setuptools.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def prepare_metadata_for_build_editable(metadata_directory: str, config_settings: ConfigSettings = None) -> str:
    """Write the .dist-info metadata folder for an editable wheel."""
    return _setuptools.prepare_metadata_for_build_editable(metadata_directory, config_settings)


def build_sdist(sdist_directory: str, config_settings: ConfigSettings = None) -> str:
    """Build the sdist; MANIFEST.in makes it carry src/hunter.pth and this backend."""
    return _setuptools.build_sdist(sdist_directory, config_settings)


def build_wheel(
    wheel_directory: str, config_settings: ConfigSettings = None, metadata_directory: str | None = None
) -> str:
    """Build a regular wheel with setuptools, then add the start-up hook at its root."""
    name = _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
    add_pth_to_wheel(Path(wheel_directory, name), PTH_SOURCE.read_bytes())
    return name


def build_editable(
    wheel_directory: str, config_settings: ConfigSettings = None, metadata_directory: str | None = None
) -> str:
    """Build an editable wheel with setuptools, then add the start-up hook at its root."""
    name = _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
    add_pth_to_wheel(Path(wheel_directory, name), PTH_SOURCE.read_bytes())
    return name


def record_line(arcname: str, data: bytes) -> str:
    """Return the RECORD line of one file: path, urlsafe-base64 sha256 without padding, size (PEP 376/427)."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{arcname},sha256={digest},{len(data)}"


def add_pth_to_wheel(wheel: Path, pth: bytes, arcname: str = PTH_NAME) -> None:
    """Rewrite ``wheel`` in place so that it holds ``arcname`` at its root, listed in its RECORD."""
    # Wheels are zip files that cannot be edited in place: copy every entry into a new archive next to the
    # old one and swap them only once the new one is complete, so a failure never leaves a broken wheel.
    with zipfile.ZipFile(wheel) as source:
        entries = source.infolist()
        records = [info for info in entries if info.filename.endswith(".dist-info/RECORD")]
        if len(records) != 1:
            raise RuntimeError(f"{wheel.name}: expected one .dist-info/RECORD, found {len(records)}")
        record_name = records[0].filename
        fd, tmp_name = tempfile.mkstemp(suffix=".whl", dir=wheel.parent)
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED) as target:
                # The hook goes first: installers don't care about order, but RECORD conventionally comes last.
                pth_info = zipfile.ZipInfo(arcname, date_time=_date_time(entries))
                pth_info.compress_type = zipfile.ZIP_DEFLATED
                pth_info.external_attr = 0o644 << 16
                target.writestr(pth_info, pth)
                for info in entries:
                    if info.filename == arcname:
                        continue  # a rebuild over an already patched tree must not duplicate the entry
                    data = source.read(info)
                    if info.filename == record_name:
                        data = _patched_record(data, arcname, pth)
                    target.writestr(info, data)
            os.replace(tmp_name, wheel)
        except BaseException:
            os.unlink(tmp_name)
            raise


def _patched_record(record: bytes, arcname: str, pth: bytes) -> bytes:
    """Return RECORD with any old line for ``arcname`` dropped and a fresh one added."""
    lines = [line for line in record.decode("utf-8").splitlines() if line and not line.startswith(arcname + ",")]
    # Keep RECORD's own line (which has no hash) last, as wheel builders write it.
    own = [line for line in lines if line.split(",", 1)[0].endswith(".dist-info/RECORD")]
    others = [line for line in lines if line not in own]
    return ("\n".join([*others, record_line(arcname, pth), *own]) + "\n").encode("utf-8")


def _date_time(entries: list[zipfile.ZipInfo]) -> tuple[int, int, int, int, int, int]:
    """Reuse the timestamp of the wheel's entries so that SOURCE_DATE_EPOCH builds stay reproducible."""
    return entries[0].date_time if entries else (1980, 1, 1, 0, 0, 0)
