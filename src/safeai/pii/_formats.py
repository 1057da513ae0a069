"""Which scanner reads which format: the per-format policy behind every "could not be classified".

Amazon Macie reads, by its User Guide ("Supported file and storage formats",
docs.aws.amazon.com/macie/latest/user/discovery-supported-formats.html): Apache Avro object
containers and Apache Parquet files; GNU Zip, TAR and ZIP archives (``.gz``, ``.gzip``, ``.tar``,
``.zip``), whose extracted files it inspects, as many as 1,000,000 of them and up to a nested
depth of 10 layers; PDF, Microsoft Word and Excel documents; and non-binary text. It does not
analyse images, audio, video or other multimedia. It picks formats by file name extension, and
``.tgz`` is not in its list.

The local scanner reads non-binary text (CSV, TSV, JSON, JSON Lines, plain text, source code) and
GNU Zip, TAR and ZIP archives (``.tgz`` too). Nothing reads the binary formats of ML training data
(RecordIO, TFRecord, NumPy arrays, images, ...): for those the only honest answers are a waiver
with a reason or ``Policy.pii_unknown = "warn"``, never "scan it with another scanner".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

__all__ = ["FORMATS", "DataFormat", "ScannerName", "format_by_magic", "format_by_name"]

ScannerName = Literal["macie", "local"]


@dataclass(frozen=True, slots=True)
class DataFormat:
    """A format a scanner may not read: what it is called, how it is recognised, who reads it."""

    name: str
    suffixes: tuple[str, ...]
    macie: bool
    """Amazon Macie documents it as a format it analyses."""
    local: bool = False
    """The local scanner reads it."""
    magic: tuple[bytes, ...] = ()
    """How its content starts, for objects named otherwise."""

    def read_by(self, scanner: ScannerName) -> bool:
        """Whether ``scanner`` reads this format."""
        return self.macie if scanner == "macie" else self.local

    def unreadable(self, scanner: ScannerName) -> str:
        """Why ``scanner`` cannot classify an object of this format, and what would: only
        options that work (another scanner when one reads it; else none)."""
        other: ScannerName = "local" if scanner == "macie" else "macie"
        reader = {"macie": "Amazon Macie", "local": "the local scanner"}
        if self.read_by(other):
            return (
                f"{self.name}: {reader[scanner]} does not read this format; {reader[other]} "
                f'does (Policy.pii_scanner = "{other}")'
            )
        return f"{self.name}: a format neither Amazon Macie nor the local scanner reads"


#: Formats some scanner cannot read. Text formats, and the archives both read, are not listed.
FORMATS: tuple[DataFormat, ...] = (
    DataFormat("Apache Parquet", (".parquet",), macie=True, magic=(b"PAR1",)),
    DataFormat("Apache Avro", (".avro",), macie=True, magic=(b"Obj\x01",)),
    DataFormat("PDF document", (".pdf",), macie=True, magic=(b"%PDF",)),
    DataFormat("Microsoft Word document", (".doc", ".docx"), macie=True),
    DataFormat("Microsoft Excel workbook", (".xls", ".xlsx"), macie=True),
    DataFormat("tar.gz archive named .tgz", (".tgz",), macie=False, local=True),
    DataFormat(
        "MXNet RecordIO",
        (".rec", ".recordio"),
        macie=False,
        magic=(b"\x0a\x23\xd7\xce",),  # 0xced7230a, little-endian
    ),
    DataFormat("TFRecord", (".tfrecord", ".tfrecords"), macie=False),
    DataFormat("NumPy array", (".npy", ".npz"), macie=False, magic=(b"\x93NUMPY",)),
    DataFormat("Protocol Buffers", (".pb", ".protobuf"), macie=False),
    DataFormat("Apache ORC", (".orc",), macie=False, magic=(b"ORC",)),
    DataFormat("Apache Arrow", (".arrow", ".feather"), macie=False, magic=(b"ARROW1",)),
    DataFormat("HDF5", (".h5", ".hdf5"), macie=False, magic=(b"\x89HDF",)),
    DataFormat("Python pickle", (".pkl", ".pickle"), macie=False),
    DataFormat(
        "model weights", (".pt", ".pth", ".ckpt", ".onnx", ".safetensors", ".bin"), macie=False
    ),
    DataFormat(
        "image",
        (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"),
        macie=False,
        magic=(b"\x89PNG", b"\xff\xd8\xff", b"GIF8"),
    ),
    DataFormat("audio or video", (".mp3", ".mp4", ".wav", ".flac"), macie=False),
    DataFormat("bzip2, xz, Zstandard or 7z archive", (".bz2", ".xz", ".zst", ".7z"), macie=False),
)

_BY_SUFFIX = {suffix: found for found in FORMATS for suffix in found.suffixes}
_BY_MAGIC = tuple((magic, found) for found in FORMATS for magic in found.magic)


def format_by_name(key: str) -> DataFormat | None:
    """The listed format an object's name says it has (None: a text format or an archive both
    scanners read, or a name that says nothing)."""
    return _BY_SUFFIX.get(PurePosixPath(key.lower()).suffix)


def format_by_magic(head: bytes) -> DataFormat | None:
    """The listed format whose magic number starts ``head`` (None: none does)."""
    for magic, found in _BY_MAGIC:
        if head.startswith(magic):
            return found
    return None
