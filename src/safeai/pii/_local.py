"""The local scanner: reads S3 objects itself and counts Macie identifier types, offline.

It reads CSV, TSV, JSON, JSON Lines and plain text (source code included), and GNU Zip, TAR and
ZIP archives of any of them (``.gz``, ``.tar``, ``.tar.gz``/``.tgz``, ``.zip``, known by name or
by their first bytes), as a stream: memory stays bounded whatever the object's size (a zip
archive, whose index is at its end, is copied to a temporary file first). Each file in an
archive is classified by its own format, archives inside archives too, within the limits of
:class:`~safeai.pii._archives.ArchiveLimits` (Macie's: 1,000,000 files, 10 nested layers).

What it cannot read is ``unknown``, never ``clean``, with a reason that says what could not be
read and whether another scanner reads it (:mod:`safeai.pii._formats`): a binary format
(``.npy``, RecordIO, images, Parquet, ...), an archive that holds such a file (as Macie reports
``ARCHIVE_CONTAINS_UNPROCESSED_FILES``), an archive over a limit, a damaged stream, and an object
it could not fetch (access denied, a KMS key it may not use, an object changed since it was
listed). Personal data found in an archive makes it ``pii`` whatever else it holds, with the
files it was found in named in the verdict's reason.

Sampling is off by default: every object is read to its end. A caller can ask for it with
``sample_bytes`` (read at most that much of each object's decompressed content) and
``sampling_percentage`` (read that share of the objects). An object that was only partly read,
or not read at all because it was sampled out, is then reported ``clean`` if nothing was found
in what was read, with a ``reason`` that starts with ``"sampled"``: the caller asked for
sampling and accepted that risk, and the reason lets a policy tell such a verdict from a full
read. Without sampling, an object that was not read to its end is ``unknown``.
"""

from __future__ import annotations

import hashlib
import tarfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from .._exceptions import PolicyError, SafeAIError
from ._archives import (
    HEAD_BYTES,
    READ_BYTES,
    ArchiveLimits,
    Budget,
    LimitReached,
    gunzip,
    is_tar,
    is_zip,
    tar_members,
    zip_members,
)
from ._detectors import TextScanner
from ._formats import format_by_magic, format_by_name
from ._verdict import Detection, ObjectVerdict, S3Object, Status

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from ._detectors import TextFormat

__all__ = ["Classification", "LocalScanner"]

_SNIFF_BYTES = 8192
"""How much of the (decompressed) start of a file is checked for binary content."""
_LISTED = 5
"""Files of an archive named in a reason; the rest are counted."""

_TEXT_SUFFIXES: dict[str, TextFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "txt",
}
#: Compression suffixes, and what the name is once the compression is undone.
_GZIP_SUFFIXES = {".gz": "", ".gzip": "", ".tgz": ".tar"}
_GZIP_MAGIC = b"\x1f\x8b"
#: Macie's reasons (its discovery results' ``classificationDetails.result.status.reason``).
_UNSUPPORTED = "UNSUPPORTED_FILE_TYPE_EXCEPTION"
_MALFORMED = "MALFORMED_FILE"
_UNPROCESSED = "ARCHIVE_CONTAINS_UNPROCESSED_FILES"
_TOO_DEEP = "ARCHIVE_NESTING_LEVEL_OVER_LIMIT"


@dataclass(frozen=True, slots=True)
class Classification:
    """What the local scanner concluded about one object's bytes."""

    status: Status
    detections: tuple[Detection, ...] = ()
    reason: str | None = None
    macie_reason: str | None = None
    """Why it was not wholly read, as Macie's discovery results say it
    (``UNSUPPORTED_FILE_TYPE_EXCEPTION``, ``ARCHIVE_CONTAINS_UNPROCESSED_FILES``, ...); None when
    it was."""


class _Sampled(SafeAIError):
    """``sample_bytes`` were read: reading stops. Never leaves this module."""


@dataclass
class _Reading:
    """What reading one object has found so far, across every file of its archives."""

    budget: Budget
    sample_left: int | None
    counts: Counter[str] = field(default_factory=Counter)
    found_in: list[str] = field(default_factory=list)
    """Files of an archive personal data was found in."""
    unread: list[tuple[str, str, str]] = field(default_factory=list)
    """(file of an archive, or "" for the object itself; why it was not read; Macie's reason)."""
    read: int = 0
    sampled: bool = False

    def not_read(self, path: str, why: str, macie_reason: str) -> None:
        self.unread.append((path, why, macie_reason))


class LocalScanner:
    """Classifies S3 objects by reading them and counting Amazon Macie identifier types.

    ``sample_bytes``: read at most this many (decompressed) bytes of each object; ``None``
    reads everything. ``sampling_percentage``: read this share of the objects, chosen by a hash
    of bucket, key and ETag, so the same objects are chosen on every run. See the module
    docstring for what sampling does to a verdict. ``archive_limits``: how far to read into
    compressed and archive files (default: Macie's documented limits, and safeai's own against
    decompression bombs).
    """

    name = "local"

    def __init__(
        self,
        *,
        sample_bytes: int | None = None,
        sampling_percentage: float = 100.0,
        archive_limits: ArchiveLimits | None = None,
    ) -> None:
        if sample_bytes is not None and sample_bytes <= 0:
            raise PolicyError(
                "must be a positive number of bytes, or None to read whole objects",
                field="sample_bytes",
                source="LocalScanner",
            )
        if not 0 < sampling_percentage <= 100:
            raise PolicyError(
                "must be more than 0 and at most 100",
                field="sampling_percentage",
                source="LocalScanner",
            )
        self.sample_bytes = sample_bytes
        self.sampling_percentage = sampling_percentage
        self.archive_limits = archive_limits or ArchiveLimits()

    def scan(
        self,
        clients: Callable[[str], Any],
        objects: Sequence[S3Object],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[ObjectVerdict]:
        """One verdict per object in ``objects``, in the same order; each object is streamed
        with ``GetObject`` (``IfMatch`` its listed ETag, so the verdict is about that version)."""
        s3 = clients("s3") if objects else None
        verdicts = []
        for done, item in enumerate(objects, start=1):
            verdicts.append(self._verdict(s3, item))
            if progress is not None:
                progress(done, len(objects))
        return verdicts

    def classify(self, key: str, data: bytes) -> tuple[Status, tuple[Detection, ...], str | None]:
        """Classify one object's bytes (as stored: gzip is undone and archives opened here): its
        status, the identifier types found with their counts, and why, when the status needs a
        reason."""
        found = self.classification(key, data)
        return found.status, found.detections, found.reason

    def classification(self, key: str, data: bytes) -> Classification:
        """:meth:`classify`, with Macie's reason when the object was not wholly read (the
        sandbox's Macie emulation reports it)."""
        return self._classify(key, iter((data,)))

    def _verdict(self, s3: Any, item: S3Object) -> ObjectVerdict:
        if not self._selected(item):
            skipped = f"sampled out: not read (sampling_percentage={self.sampling_percentage:g})"
            return ObjectVerdict(item, "clean", (), skipped)
        known = format_by_name(_decompressed_name(item.key.lower()))
        if known is not None and not known.local:
            # Known by its name to be a format this scanner does not read: no need to fetch it.
            return ObjectVerdict(item, "unknown", (), known.unreadable("local"))
        from botocore.exceptions import BotoCoreError, ClientError

        extra = {"IfMatch": item.etag} if item.etag else {}
        try:
            response = s3.get_object(Bucket=item.bucket, Key=item.key, **extra)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code") or "error"
            return ObjectVerdict(item, "unknown", (), f"could not read the object: {code}")
        body = response["Body"]
        try:
            found = self._classify(item.key, iter(lambda: body.read(READ_BYTES), b""))
        except (BotoCoreError, ClientError) as error:
            return ObjectVerdict(item, "unknown", (), f"reading the object failed: {error}")
        finally:
            body.close()
        return ObjectVerdict(item, found.status, found.detections, found.reason)

    def _selected(self, item: S3Object) -> bool:
        if self.sampling_percentage >= 100:
            return True
        digest = hashlib.blake2b(
            f"{item.bucket}\0{item.key}\0{item.etag}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest, "big") < self.sampling_percentage / 100 * 2**64

    def _classify(self, key: str, chunks: Iterator[bytes]) -> Classification:
        reading = _Reading(Budget(self.archive_limits), self.sample_bytes)
        try:
            self._read(reading, key.lower(), chunks, depth=0, path="")
        except LimitReached as limit:
            reading.not_read("", f"stopped reading: it {limit}", limit.macie_reason)
        except _Sampled:
            reading.sampled = True
        return _conclusion(reading)

    def _read(
        self, reading: _Reading, name: str, chunks: Iterator[bytes], *, depth: int, path: str
    ) -> None:
        """Classify one file (the object, or a file of one of its archives) into ``reading``:
        ``name`` is its lower-cased name, ``path`` where it is inside the object."""
        known = format_by_name(name)
        if known is not None and not known.local:
            reading.not_read(path, known.unreadable("local"), _UNSUPPORTED)
            return
        head, stream = _peek(chunks, HEAD_BYTES)
        inner = _decompressed_name(name)
        gzipped = inner != name or head.startswith(_GZIP_MAGIC)
        archive = gzipped or is_tar(name, head) or is_zip(name, head)
        if archive and depth >= self.archive_limits.max_depth:
            why = f"an archive nested deeper than {self.archive_limits.max_depth} layers"
            reading.not_read(path, why, _TOO_DEEP)
            return
        try:
            if gzipped:
                self._read(
                    reading, inner, gunzip(stream, reading.budget), depth=depth + 1, path=path
                )
            elif is_tar(name, head):
                for member, content in tar_members(stream, reading.budget):
                    where = f"{path}/{member}" if path else member
                    self._read(reading, member.lower(), content, depth=depth + 1, path=where)
            elif is_zip(name, head):
                for member, entry in zip_members(stream, reading.budget):
                    where = f"{path}/{member}" if path else member
                    if isinstance(entry, str):
                        reading.not_read(where, entry, _UNPROCESSED)
                    else:
                        self._read(reading, member.lower(), entry, depth=depth + 1, path=where)
            else:
                self._read_text(reading, name, head, stream, path)
        except zlib.error as error:
            reading.not_read(path, f"not a valid gzip stream: {error}", _MALFORMED)
        except tarfile.TarError as error:
            reading.not_read(path, f"not a valid tar archive: {error}", _MALFORMED)
        except zipfile.BadZipFile as error:
            reading.not_read(path, f"not a valid zip archive: {error}", _MALFORMED)

    def _read_text(
        self, reading: _Reading, name: str, head: bytes, stream: Iterator[bytes], path: str
    ) -> None:
        binary = format_by_magic(head)
        if binary is not None and not binary.local:
            reading.not_read(path, binary.unreadable("local"), _UNSUPPORTED)
            return
        text_format = _TEXT_SUFFIXES.get(PurePosixPath(name).suffix)
        counted = _count(stream, text_format, reading.sample_left)
        if counted is None:
            reading.not_read(path, "binary content: not a text format", _UNSUPPORTED)
            return
        found, read, truncated = counted
        reading.read += read
        if found:
            reading.counts.update(found)
            if path:
                reading.found_in.append(path)
        if reading.sample_left is not None:
            reading.sample_left -= read
            if truncated:
                raise _Sampled


def _decompressed_name(name: str) -> str:
    """A (lower-cased) name without its compression suffix (``a.tgz`` -> ``a.tar``)."""
    stem, dot, suffix = name.rpartition(".")
    replacement = _GZIP_SUFFIXES.get(f".{suffix}") if dot else None
    return name if replacement is None else stem + replacement


def _peek(chunks: Iterator[bytes], size: int) -> tuple[bytes, Iterator[bytes]]:
    """The first ``size`` bytes of a stream (fewer if it is shorter), and the whole stream."""
    pieces = []
    taken = 0
    while taken < size:
        piece = next(chunks, b"")
        if not piece:
            break
        pieces.append(piece)
        taken += len(piece)
    head = pieces[0] if len(pieces) == 1 else b"".join(pieces)
    return head[:size], _chain(head, chunks)


def _count(
    stream: Iterator[bytes], text_format: TextFormat | None, limit: int | None
) -> tuple[dict[str, int], int, bool] | None:
    """Count identifiers in a text stream: (counts, bytes read, whether it was cut at
    ``limit`` bytes); None when it is binary."""
    scanner: TextScanner | None = None
    head = b""
    read, truncated = 0, False
    for piece in stream:
        if limit is not None and read + len(piece) >= limit:
            truncated = read + len(piece) > limit or _has_more(stream)
            piece = piece[: limit - read]
        read += len(piece)
        if scanner is None:
            head += piece
            if len(head) < _SNIFF_BYTES and not truncated:
                continue
            if not _is_text(head[:_SNIFF_BYTES]):
                return None
            scanner = TextScanner(text_format or "txt")
            piece, head = head, b""
        scanner.feed(piece)
        if truncated:
            break
    if scanner is None:
        if head and not _is_text(head):
            return None
        scanner = TextScanner(text_format or "txt")
        scanner.feed(head)
    return scanner.finish(), read, truncated


def _conclusion(reading: _Reading) -> Classification:
    """The object's verdict from what reading it found."""
    found = tuple(Detection(identifier, n) for identifier, n in sorted(reading.counts.items()))
    notes = []
    if found and reading.found_in:
        notes.append(f"found in {_named(reading.found_in)}")
    macie_reason = None
    if reading.unread:
        whole = [why for path, why, _ in reading.unread if not path]
        parts = [f"{path} ({why})" for path, why, _ in reading.unread if path]
        if parts:
            notes.append(f"could not read {_named(parts)}")
        notes.extend(whole)
        codes = [code for _, _, code in reading.unread]
        # A limit explains more than the files it left unread; else Macie's own word for an
        # archive with files it could not read, or the reason for the object itself.
        limits = [code for code in codes if code.startswith("ARCHIVE_") and code != _UNPROCESSED]
        macie_reason = limits[0] if limits else _UNPROCESSED if parts else codes[0]
    if reading.sampled and not reading.unread:
        notes.append(f"sampled: read the first {reading.read} bytes only")
    status: Status = "pii" if found else "unknown" if reading.unread else "clean"
    return Classification(status, found, "; ".join(notes) or None, macie_reason)


def _named(entries: list[str]) -> str:
    shown = ", ".join(entries[:_LISTED])
    more = len(entries) - _LISTED
    return f"{shown} and {more} more" if more > 0 else shown


_CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in b"\t\n\r\f") + b"\x7f"


def _is_text(head: bytes) -> bool:
    """No NUL byte, and hardly any other control character (UTF-8 and single-byte encodings
    pass; UTF-16 and binary formats do not)."""
    if b"\x00" in head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls * 100 <= len(head)


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _has_more(stream: Iterator[bytes]) -> bool:
    """Whether an iterator has anything left (it is consumed by one piece, which is fine: the
    caller stops reading)."""
    return any(piece for piece in stream)
