"""Archives built in memory for the tests: what the SageMaker SDK uploads (``sourcedir.tar.gz``,
``model.tar.gz``) and what data sets ship as (tar, gzip-compressed tar, zip)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


def tar(files: Mapping[str, bytes], *, gz: bool = False) -> bytes:
    """A tar archive of ``files`` (gzip-compressed with ``gz``), as ``tarfile`` writes it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def tar_gz(files: Mapping[str, bytes]) -> bytes:
    """A ``.tar.gz``, as the SageMaker SDK packs a script-mode job's code or a model."""
    return tar(files, gz=True)


def zipped(files: Mapping[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive of ``files``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
