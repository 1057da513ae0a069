"""Reading inside compressed and archive files for the local scanner: gzip, tar and zip, bounded.

A gzip stream and a tar archive are read as they arrive, piece by piece; a zip archive keeps its
index at its end, so it is first copied to a temporary file (in memory while small, on disk
beyond :data:`_SPOOL_IN_MEMORY`). Every member is handed back as a stream of its own, to be
classified by its own format (and opened again if it is an archive itself).

The limits are Amazon Macie's where Macie documents one (as many as 1,000,000 extracted files,
a nested depth of 10 layers: User Guide, "Supported file and storage formats"), and safeai's
own where it does not (how many bytes may be decompressed from one object, and how much one
decompressor may inflate its input, which is what a zip bomb does). Reaching one raises
:class:`LimitReached`; the object is then not clean.
"""

from __future__ import annotations

import functools
import io
import tarfile
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, cast

from .._exceptions import PolicyError, SafeAIError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "ArchiveLimits",
    "Budget",
    "LimitReached",
    "is_tar",
    "is_zip",
    "tar_members",
    "zip_members",
]

READ_BYTES = 1 << 20
"""How much is asked of a stream (and of a decompressor) at a time."""
_SPOOL_IN_MEMORY = 8 << 20
"""A zip archive up to this size is copied to memory to be read; a larger one to disk."""
_RATIO_FLOOR = 16 << 20
"""A decompressor's ratio is judged only once it has produced this much: small, highly
repetitive files (a CSV of one repeated row) legitimately compress far."""
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's index
_TAR_MAGIC_AT = slice(257, 262)
HEAD_BYTES = 512
"""How much of a stream's start tells a tar archive (its magic is at byte 257)."""


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """How far the local scanner reads into compressed and archive files.

    ``max_depth`` (Macie: 10) layers of archives and compression inside one another (a
    ``.tar.gz`` is two); ``max_members`` (Macie: 1,000,000) files extracted from one object;
    ``max_extracted_bytes`` decompressed from one object (safeai's, 20 GiB; a zip archive larger
    than this is not read either); ``max_ratio`` of a decompressor's output to its input
    (safeai's, 200), judged once it has produced 16 MiB.
    """

    max_depth: int = 10
    max_members: int = 1_000_000
    max_extracted_bytes: int = 20 << 30
    max_ratio: int = 200

    def __post_init__(self) -> None:
        for option in ("max_depth", "max_members", "max_extracted_bytes", "max_ratio"):
            value = getattr(self, option)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise PolicyError(
                    f"must be a whole number of at least 1, found {value!r}",
                    field=option,
                    source="ArchiveLimits",
                )


class LimitReached(SafeAIError):
    """An archive limit was reached: reading stops, the object is not clean. Never leaves the
    local scanner."""

    def __init__(self, message: str, *, macie_reason: str) -> None:
        super().__init__(message)
        self.macie_reason = macie_reason
        """The reason Macie's discovery results give for the same limit."""


class Budget:
    """What one object may still take of its :class:`ArchiveLimits`."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.members = 0
        self.extracted = 0

    def member(self) -> None:
        """Count one more extracted file."""
        self.members += 1
        if self.members > self.limits.max_members:
            raise LimitReached(
                f"holds more than {self.limits.max_members} files: the rest were not read",
                macie_reason="ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT",
            )

    def inflate(self, produced: int, consumed: int, total: int) -> None:
        """Count ``produced`` more decompressed bytes, from a decompressor that has now made
        ``total`` bytes out of ``consumed``."""
        self.extracted += produced
        if self.extracted > self.limits.max_extracted_bytes:
            raise LimitReached(
                f"decompresses to more than {self.limits.max_extracted_bytes} bytes: the rest "
                f"was not read",
                macie_reason="ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT",
            )
        if total > _RATIO_FLOOR and total > self.limits.max_ratio * max(consumed, 1):
            raise LimitReached(
                f"inflates more than {self.limits.max_ratio} times (a decompression bomb?): "
                f"the rest was not read",
                macie_reason="ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT",
            )


def gunzip(chunks: Iterator[bytes], budget: Budget) -> Iterator[bytes]:
    """Decompress a gzip stream (one member or several, as ``cat a.gz b.gz`` makes) piece by
    piece, never more than :data:`READ_BYTES` at once (a small object may inflate hugely);
    raises ``zlib.error`` on a damaged or cut-off stream."""
    decompressor = zlib.decompressobj(wbits=31)
    inside = False  # the current member has started and not ended
    consumed = produced = 0
    for chunk in chunks:
        consumed += len(chunk)
        data = chunk
        while data:
            inside = True
            piece = decompressor.decompress(data, READ_BYTES)
            if piece:
                produced += len(piece)
                budget.inflate(len(piece), consumed, produced)
                yield piece
            if decompressor.eof:
                data = decompressor.unused_data
                decompressor = zlib.decompressobj(wbits=31)
                inside = False
            else:
                data = decompressor.unconsumed_tail
    while inside and not decompressor.eof:
        piece = decompressor.decompress(b"", READ_BYTES)
        if not piece:
            # A cut-off stream: what is missing was not looked at.
            raise zlib.error("the gzip stream ends in the middle of a member")
        produced += len(piece)
        budget.inflate(len(piece), consumed, produced)
        yield piece


def is_tar(name: str, head: bytes) -> bool:
    """A tar archive by its name or by the POSIX magic at byte 257 of its first header."""
    return name.endswith(".tar") or head[_TAR_MAGIC_AT] == b"ustar"


def is_zip(name: str, head: bytes) -> bool:
    """A zip archive by its name or by its first bytes."""
    return name.endswith(".zip") or head.startswith(_ZIP_MAGIC)


class _ChunkReader(io.RawIOBase):
    """A read-only file over a stream of pieces, for ``tarfile``'s stream mode."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._left:
            self._left = next(self._chunks, b"")
            if not self._left:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


def tar_members(chunks: Iterator[bytes], budget: Budget) -> Iterator[tuple[str, Iterator[bytes]]]:
    """Each regular file of a tar archive as (name, stream), in order. A stream must be read
    (as far as wanted) before the next member is asked for; raises ``tarfile.TarError`` on a
    damaged archive. Directories, links and devices hold no data of their own: skipped."""
    with tarfile.open(fileobj=io.BufferedReader(_ChunkReader(chunks)), mode="r|") as archive:
        for member in archive:
            if not member.isfile():
                continue
            budget.member()
            # A regular file always has content (extractfile() is None only for the others).
            content = cast("IO[bytes]", archive.extractfile(member))
            yield member.name, iter(functools.partial(content.read, READ_BYTES), b"")


def zip_members(
    chunks: Iterator[bytes], budget: Budget
) -> Iterator[tuple[str, Iterator[bytes] | str]]:
    """Each file of a zip archive as (name, stream), or (name, why it cannot be read) for an
    encrypted member or one compressed by a method Python does not read. Raises
    :class:`LimitReached` for an archive larger than the limits allow, ``zipfile.BadZipFile`` on
    a damaged one."""
    limit = budget.limits.max_extracted_bytes
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as copy:
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise LimitReached(
                    f"a zip archive larger than {limit} bytes: not read",
                    macie_reason="ARCHIVE_EXCEEDS_SIZE_LIMIT",
                )
            copy.write(chunk)
        copy.seek(0)
        with zipfile.ZipFile(copy) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                budget.member()
                if info.flag_bits & 0x1:
                    yield info.filename, "encrypted: its content cannot be read"
                    continue
                try:
                    content = archive.open(info)
                except NotImplementedError as error:  # e.g. Deflate64, PPMd
                    yield info.filename, f"compressed by a method that cannot be read ({error})"
                    continue
                with content:
                    yield info.filename, _inflated(content, info.compress_size, budget)


def _inflated(content: IO[bytes], compressed: int, budget: Budget) -> Iterator[bytes]:
    """A zip member's content, counted against the budget as it is decompressed."""
    produced = 0
    for piece in iter(functools.partial(content.read, READ_BYTES), b""):
        produced += len(piece)
        budget.inflate(len(piece), compressed, produced)
        yield piece
