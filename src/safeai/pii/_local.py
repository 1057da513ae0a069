"""The local scanner: reads S3 objects itself and counts Macie identifier types, offline.

It reads CSV, TSV, JSON, JSON Lines and plain text, gzip-compressed or not (by the ``.gz``
suffix or the gzip magic bytes), as a stream: memory stays bounded whatever the object's size.
Anything else (``.npy``, Parquet, RecordIO, images, binary content) is ``unknown``, never
``clean``. So is an object it could not read (access denied, a KMS key it may not use, an object
changed since it was listed).

Sampling is off by default: every object is read to its end. A caller can ask for it with
``sample_bytes`` (read at most that much of each object) and ``sampling_percentage`` (read that
share of the objects). An object that was only partly read, or not read at all because it was
sampled out, is then reported ``clean`` if nothing was found in what was read, with a ``reason``
that starts with ``"sampled"``: the caller asked for sampling and accepted that risk, and the
reason lets a policy tell such a verdict from a full read. Without sampling, an object that was
not read to its end is ``unknown``.
"""

from __future__ import annotations

import hashlib
import zlib
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from .._exceptions import PolicyError
from ._detectors import TextScanner
from ._verdict import Detection, ObjectVerdict, S3Object, Status

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from ._detectors import TextFormat

__all__ = ["LocalScanner"]

_READ_BYTES = 1 << 20
"""How much is asked of the object's stream (and of the decompressor) at a time."""
_SNIFF_BYTES = 8192
"""How much of the (decompressed) start of an object is checked for binary content."""

_TEXT_SUFFIXES: dict[str, TextFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "txt",
}
_GZIP_SUFFIXES = (".gz", ".gzip")
_GZIP_MAGIC = b"\x1f\x8b"
#: Formats known to be binary by their name: not read at all.
_BINARY_SUFFIXES = frozenset(
    [
        ".npy",
        ".npz",
        ".parquet",
        ".rec",
        ".recordio",
        ".tfrecord",
        ".tfrecords",
        ".avro",
        ".orc",
        ".arrow",
        ".feather",
        ".h5",
        ".hdf5",
        ".pkl",
        ".pickle",
        ".pt",
        ".pth",
        ".ckpt",
        ".onnx",
        ".safetensors",
        ".bin",
        ".idx",
        ".lst",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".bmp",
        ".tif",
        ".tiff",
        ".webp",
        ".mp3",
        ".mp4",
        ".wav",
        ".flac",
        ".pdf",
        ".zip",
        ".tar",
        ".bz2",
        ".xz",
        ".zst",
        ".7z",
        ".gzip",
    ]
)
#: Magic numbers of binary formats common in ML buckets, for objects named otherwise.
_BINARY_MAGIC = (
    b"\x93NUMPY",  # .npy
    b"PAR1",  # Parquet
    b"\x0a\x23\xd7\xce",  # MXNet RecordIO (0xced7230a, little-endian)
    b"Obj\x01",  # Avro
    b"ORC",
    b"ARROW1",
    b"\x89HDF",
    b"PK\x03\x04",  # zip (and .npz, .pt)
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"%PDF",
)


def _format_by_name(key: str) -> tuple[TextFormat | None, bool, str | None]:
    """From the key alone: the text format (None: unknown), whether the name says gzip, and
    why the object will not be read (None: it will)."""
    name = PurePosixPath(key.lower()).name
    gzipped = name.endswith(_GZIP_SUFFIXES)
    if gzipped:
        name = name.rsplit(".", 1)[0]
    suffix = PurePosixPath(name).suffix
    if suffix in _BINARY_SUFFIXES:
        return None, gzipped, f"{suffix} is a binary format the local scanner does not read"
    return _TEXT_SUFFIXES.get(suffix), gzipped, None


def _gunzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Decompress a gzip stream (one member or several, as ``cat a.gz b.gz`` makes) piece by
    piece, never more than :data:`_READ_BYTES` at once (a small object may inflate hugely)."""
    decompressor = zlib.decompressobj(wbits=31)
    inside = False  # the current member has started and not ended
    for chunk in chunks:
        data = chunk
        while data:
            inside = True
            piece = decompressor.decompress(data, _READ_BYTES)
            if piece:
                yield piece
            if decompressor.eof:
                data = decompressor.unused_data
                decompressor = zlib.decompressobj(wbits=31)
                inside = False
            else:
                data = decompressor.unconsumed_tail
    while inside and not decompressor.eof:
        piece = decompressor.decompress(b"", _READ_BYTES)
        if not piece:
            # A cut-off stream: what is missing was not looked at.
            raise zlib.error("the gzip stream ends in the middle of a member")
        yield piece


_CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in b"\t\n\r\f") + b"\x7f"


def _is_text(head: bytes) -> bool:
    """No known binary magic, no NUL byte, and hardly any other control character (UTF-8 and
    single-byte encodings pass; UTF-16 and binary formats do not)."""
    if head.startswith(_BINARY_MAGIC) or b"\x00" in head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls * 100 <= len(head)


class LocalScanner:
    """Classifies S3 objects by reading them and counting Amazon Macie identifier types.

    ``sample_bytes``: read at most this many (decompressed) bytes of each object; ``None``
    reads everything. ``sampling_percentage``: read this share of the objects, chosen by a hash
    of bucket, key and ETag, so the same objects are chosen on every run. See the module
    docstring for what sampling does to a verdict.
    """

    name = "local"

    def __init__(
        self, *, sample_bytes: int | None = None, sampling_percentage: float = 100.0
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
        """Classify one object's bytes (as stored: gzip is undone here): its status, the
        identifier types found with their counts, and why, when the status needs a reason."""
        return self._classify(key, iter((data,)))

    def _verdict(self, s3: Any, item: S3Object) -> ObjectVerdict:
        if not self._selected(item):
            skipped = f"sampled out: not read (sampling_percentage={self.sampling_percentage:g})"
            return ObjectVerdict(item, "clean", (), skipped)
        _, _, refusal = _format_by_name(item.key)
        if refusal is not None:
            # Known binary by its name: no need to fetch it to say so.
            return ObjectVerdict(item, "unknown", (), refusal)
        from botocore.exceptions import BotoCoreError, ClientError

        extra = {"IfMatch": item.etag} if item.etag else {}
        try:
            response = s3.get_object(Bucket=item.bucket, Key=item.key, **extra)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code") or "error"
            return ObjectVerdict(item, "unknown", (), f"could not read the object: {code}")
        body = response["Body"]
        try:
            status, found, reason = self._classify(
                item.key, iter(lambda: body.read(_READ_BYTES), b"")
            )
        except (BotoCoreError, ClientError) as error:
            return ObjectVerdict(item, "unknown", (), f"reading the object failed: {error}")
        finally:
            body.close()
        return ObjectVerdict(item, status, found, reason)

    def _selected(self, item: S3Object) -> bool:
        if self.sampling_percentage >= 100:
            return True
        digest = hashlib.blake2b(
            f"{item.bucket}\0{item.key}\0{item.etag}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest, "big") < self.sampling_percentage / 100 * 2**64

    def _classify(
        self, key: str, chunks: Iterator[bytes]
    ) -> tuple[Status, tuple[Detection, ...], str | None]:
        text_format, gzipped, refusal = _format_by_name(key)
        if refusal is not None:
            return "unknown", (), refusal
        first = next(chunks, b"")
        stream = _chain(first, chunks)
        if gzipped or first.startswith(_GZIP_MAGIC):
            stream = _gunzip(stream)
        try:
            return self._count(stream, text_format)
        except zlib.error as error:
            return "unknown", (), f"not a valid gzip stream: {error}"

    def _count(
        self, stream: Iterator[bytes], text_format: TextFormat | None
    ) -> tuple[Status, tuple[Detection, ...], str | None]:
        limit = self.sample_bytes
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
                    return "unknown", (), "binary content: not a text format"
                scanner = TextScanner(text_format or "txt")
                piece, head = head, b""
            scanner.feed(piece)
            if truncated:
                break
        if scanner is None:
            if head and not _is_text(head):
                return "unknown", (), "binary content: not a text format"
            scanner = TextScanner(text_format or "txt")
            scanner.feed(head)
        found = tuple(
            Detection(identifier, count) for identifier, count in sorted(scanner.finish().items())
        )
        reason = f"sampled: read the first {read} bytes only" if truncated else None
        return ("pii" if found else "clean"), found, reason


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _has_more(stream: Iterator[bytes]) -> bool:
    """Whether an iterator has anything left (it is consumed by one piece, which is fine: the
    caller stops reading)."""
    return any(piece for piece in stream)
