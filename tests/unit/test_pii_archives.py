"""The local scanner on archives and binary formats, on bytes: what it reads inside tar, gzip and
zip files, the limits that stop it, and what it says about what it cannot read."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

import pytest

from safeai import PolicyError
from safeai.pii._archives import ArchiveLimits
from safeai.pii._formats import FORMATS, format_by_magic, format_by_name
from safeai.pii._local import LocalScanner
from safeai.pii._verdict import Detection
from tests.archives import tar, zipped

CARD = "CREDIT_CARD_NUMBER"
SSN = "USA_SOCIAL_SECURITY_NUMBER"
SOURCE = {
    "train.py": b"import argparse\n\nimport pandas as pd\n\n\ndef main() -> None:\n"
    b"    frame = pd.read_csv('/opt/ml/input/data/train/data.csv')\n    print(frame.shape)\n",
    "requirements.txt": b"pandas==2.2.2\nscikit-learn==1.5.0\n",
    "utils/__init__.py": b"",
    "utils/features.py": b"def scale(x: float) -> float:\n    return x / 255.0\n",
}
CARDS = b"name,credit_card\nana,4539 1488 0343 6467\nben,5555 3412 4444 1115\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
RECORDIO = b"\x0a\x23\xd7\xce" + bytes(60)


def nested_zips(layers: int, inside: bytes) -> bytes:
    """``layers`` zip archives inside one another, the innermost holding ``people.csv``."""
    data = zipped({"people.csv": inside})
    for _ in range(layers - 1):
        data = zipped({"inner.zip": data})
    return data


# The SageMaker SDK's own code upload


def test_an_sdk_source_archive_of_code_only_is_clean() -> None:
    found = LocalScanner().classification("job/source/sourcedir.tar.gz", tar(SOURCE, gz=True))
    assert (found.status, found.detections, found.reason, found.macie_reason) == (
        "clean",
        (),
        None,
        None,
    )


def test_personal_data_in_a_source_archive_is_found_and_its_file_named() -> None:
    archive = tar({**SOURCE, "data/people.csv": CARDS}, gz=True)

    found = LocalScanner().classification("job/source/sourcedir.tar.gz", archive)

    assert found.status == "pii"
    assert found.detections == (Detection(CARD, 2),)
    assert found.reason == "found in data/people.csv"
    assert found.macie_reason is None


# Each archive format, read by its name or by its content


@pytest.mark.parametrize(
    ("key", "data"),
    [
        ("a.tar", tar({"people.csv": CARDS})),
        ("a.tar.gz", tar({"people.csv": CARDS}, gz=True)),
        ("a.tgz", tar({"people.csv": CARDS}, gz=True)),
        ("a.zip", zipped({"people.csv": CARDS})),
        ("part-00000", tar({"people.csv": CARDS}, gz=True)),  # gzip, then ustar magic
        ("part-00001", zipped({"people.csv": CARDS})),  # zip magic
    ],
)
def test_each_archive_format_is_opened(key: str, data: bytes) -> None:
    found = LocalScanner().classification(key, data)
    assert (found.status, found.detections, found.reason) == (
        "pii",
        (Detection(CARD, 2),),
        "found in people.csv",
    )


def test_each_file_is_classified_by_its_own_format() -> None:
    # "ssn" is a keyword only as a CSV column name; a text file's 9 digits need it nearby.
    archive = zipped({"a.csv": b"ssn\n536221934\n", "b.txt": b"id 536221934\n"})
    found = LocalScanner().classification("a.zip", archive)
    assert (found.detections, found.reason) == ((Detection(SSN, 1),), "found in a.csv")


def test_archives_inside_archives_are_opened_and_the_path_named() -> None:
    inner = zipped({"deep/people.csv": CARDS})
    archive = tar(
        {"model/code.py": b"x = 1\n", "bundle.zip": inner, "more.csv.gz": gzip.compress(CARDS)},
        gz=True,
    )

    found = LocalScanner().classification("model.tar.gz", archive)

    assert found.detections == (Detection(CARD, 4),)
    assert found.reason == "found in bundle.zip/deep/people.csv, more.csv.gz"


def test_directories_and_links_in_a_tar_are_skipped() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        folder = tarfile.TarInfo("src")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        link = tarfile.TarInfo("src/link.py")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    found = LocalScanner().classification("a.tar", buffer.getvalue())
    assert (found.status, found.reason) == ("clean", None)


# What cannot be read makes the archive unknown (or pii, when something was found)


def test_a_file_no_scanner_reads_makes_the_archive_unknown_as_macie_reports_it() -> None:
    archive = tar({**SOURCE, "assets/logo.png": PNG}, gz=True)

    found = LocalScanner().classification("sourcedir.tar.gz", archive)

    assert found.status == "unknown"
    assert found.reason == (
        "could not read assets/logo.png (image: a format neither Amazon Macie nor the local "
        "scanner reads)"
    )
    assert found.macie_reason == "ARCHIVE_CONTAINS_UNPROCESSED_FILES"


def test_personal_data_beside_an_unreadable_file_is_pii_naming_both() -> None:
    archive = zipped({"people.csv": CARDS, "train.rec": RECORDIO})

    found = LocalScanner().classification("a.zip", archive)

    assert found.status == "pii"
    assert found.detections == (Detection(CARD, 2),)
    assert found.reason == (
        "found in people.csv; could not read train.rec (MXNet RecordIO: a format neither "
        "Amazon Macie nor the local scanner reads)"
    )
    assert found.macie_reason == "ARCHIVE_CONTAINS_UNPROCESSED_FILES"


def test_a_binary_file_of_no_known_format_in_an_archive_is_unread() -> None:
    found = LocalScanner().classification("a.tar", tar({"blob": bytes(range(256)) * 40}))
    assert found.status == "unknown"
    assert found.reason == "could not read blob (binary content: not a text format)"


def test_an_encrypted_zip_member_is_unread() -> None:
    # zipfile cannot encrypt: set the "encrypted" flag an encrypting tool sets, in the local
    # header (byte 6) and the central directory entry (byte 8).
    data = bytearray(zipped({"secret.csv": CARDS}, method=zipfile.ZIP_STORED))
    data[6] |= 0x1
    data[data.index(b"PK\x01\x02") + 8] |= 0x1
    found = LocalScanner().classification("a.zip", bytes(data))
    assert found.status == "unknown"
    assert found.reason == "could not read secret.csv (encrypted: its content cannot be read)"


@pytest.mark.parametrize(
    ("key", "data", "words"),
    [
        ("a.tar.gz", tar(SOURCE, gz=True)[:-40], "not a valid tar archive"),
        ("a.zip", zipped(SOURCE)[:-30], "not a valid zip archive"),
        ("a.tar", b"not a tar archive at all" * 30, "not a valid tar archive"),
        ("a.csv.gz", gzip.compress(CARDS)[:-12], "not a valid gzip stream"),
    ],
)
def test_a_damaged_archive_is_unknown(key: str, data: bytes, words: str) -> None:
    found = LocalScanner().classification(key, data)
    assert found.status == "unknown"
    assert words in (found.reason or "")
    assert found.macie_reason == "MALFORMED_FILE"


# Limits


def test_archives_nested_as_deep_as_macie_reads_are_read_and_one_more_layer_is_not() -> None:
    assert ArchiveLimits().max_depth == 10  # Macie: "up to a nested depth of 10 layers"
    read = LocalScanner().classification("a.zip", nested_zips(10, CARDS))
    assert read.status == "pii"
    assert read.reason == "found in " + "inner.zip/" * 9 + "people.csv"

    too_deep = LocalScanner().classification("a.zip", nested_zips(11, CARDS))
    assert too_deep.status == "unknown"
    assert too_deep.macie_reason == "ARCHIVE_NESTING_LEVEL_OVER_LIMIT"
    assert "nested deeper than 10 layers" in (too_deep.reason or "")


def test_more_files_than_the_limit_is_unknown() -> None:
    assert ArchiveLimits().max_members == 1_000_000  # Macie: "as many as 1,000,000 files"
    files = {f"f{number}.txt": b"hello\n" for number in range(4)}
    scanner = LocalScanner(archive_limits=ArchiveLimits(max_members=3))

    found = scanner.classification("a.tar.gz", tar(files, gz=True))

    assert found.status == "unknown"
    assert found.macie_reason == "ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT"
    assert found.reason == "stopped reading: it holds more than 3 files: the rest were not read"
    assert (
        LocalScanner(archive_limits=ArchiveLimits(max_members=4)).classify(
            "a.tar.gz", tar(files, gz=True)
        )[0]
        == "clean"
    )


@pytest.mark.parametrize(
    ("key", "bomb"),
    [
        ("bomb.txt.gz", gzip.compress(b"a" * (40 << 20))),
        ("bomb.zip", zipped({"a.txt": b"a" * (40 << 20)})),
        ("bomb.tar.gz", tar({"a.txt": b"a" * (40 << 20)}, gz=True)),
    ],
)
def test_a_decompression_bomb_is_unknown_not_clean(key: str, bomb: bytes) -> None:
    assert len(bomb) < (1 << 20)  # 40 MiB of text from well under 1 MiB

    found = LocalScanner().classification(key, bomb)

    assert found.status == "unknown"
    assert found.macie_reason == "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT"
    assert "inflates more than 200 times" in (found.reason or "")


def test_more_decompressed_bytes_than_the_limit_is_unknown() -> None:
    files = {"a.csv": bytes(range(32, 127)) * 100, "b.csv": bytes(range(32, 127)) * 100}
    limits = ArchiveLimits(max_extracted_bytes=10_000)

    over = LocalScanner(archive_limits=limits).classification("a.tar.gz", tar(files, gz=True))
    stored = zipped(files, method=zipfile.ZIP_STORED)
    too_big_to_open = LocalScanner(archive_limits=limits).classification("a.zip", stored)

    assert over.status == "unknown"
    assert over.macie_reason == "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT"
    assert "decompresses to more than 10000 bytes" in (over.reason or "")
    assert too_big_to_open.status == "unknown"
    assert too_big_to_open.macie_reason == "ARCHIVE_EXCEEDS_SIZE_LIMIT"


@pytest.mark.parametrize("option", ["max_depth", "max_members", "max_extracted_bytes", "max_ratio"])
@pytest.mark.parametrize("value", [0, -1, 2.5, True])
def test_limits_are_checked(option: str, value: object) -> None:
    with pytest.raises(PolicyError) as raised:
        ArchiveLimits(**{option: value})  # type: ignore[arg-type]
    assert raised.value.field == option


def test_sample_bytes_counts_the_files_of_an_archive_together() -> None:
    files = {"a.csv": b"x" * 100, "b.csv": CARDS}
    found = LocalScanner(sample_bytes=150).classification("a.tar", tar(files))
    assert found.status == "pii"  # b.csv is reached within 150 bytes
    partly = LocalScanner(sample_bytes=120).classification("a.tar", tar(files))
    assert (partly.status, partly.reason) == ("clean", "sampled: read the first 120 bytes only")


# Binary formats: what each scanner reads, and advice that only names what works


@pytest.mark.parametrize(
    ("key", "data", "reason"),
    [
        ("train.rec", RECORDIO, "MXNet RecordIO: a format neither Amazon Macie nor the local"),
        ("x.npy", b"\x93NUMPY\x01\x00", "NumPy array: a format neither"),
        ("x.npz", zipped({"a.npy": b"\x93NUMPY"}), "NumPy array: a format neither"),
        ("cat.jpg", b"\xff\xd8\xff\xe0" + bytes(60), "image: a format neither"),
        ("images/0001", PNG, "image: a format neither"),  # by its magic number
        ("x.tfrecord", bytes(32), "TFRecord: a format neither"),
        ("x.pb", bytes(32), "Protocol Buffers: a format neither"),
    ],
)
def test_a_format_no_scanner_reads_says_so_and_names_no_scanner(
    key: str, data: bytes, reason: str
) -> None:
    found = LocalScanner().classification(key, data)
    assert found.status == "unknown"
    assert (found.reason or "").startswith(reason)
    assert "pii_scanner" not in (found.reason or "")
    assert found.macie_reason == "UNSUPPORTED_FILE_TYPE_EXCEPTION"


@pytest.mark.parametrize(
    ("key", "data", "name"),
    [
        ("part-0.parquet", b"PAR1" + bytes(16) + b"PAR1", "Apache Parquet"),
        ("events", b"PAR1" + bytes(16), "Apache Parquet"),  # by its magic number
        ("x.avro", b"Obj\x01" + bytes(16), "Apache Avro"),
        ("report.pdf", b"%PDF-1.7\n", "PDF document"),
        ("sheet.xlsx", zipped({"xl/workbook.xml": b"<workbook/>"}), "Microsoft Excel workbook"),
    ],
)
def test_a_format_only_macie_reads_says_to_use_macie(key: str, data: bytes, name: str) -> None:
    found = LocalScanner().classification(key, data)
    assert found.status == "unknown"
    assert found.reason == (
        f"{name}: the local scanner does not read this format; Amazon Macie does "
        f'(Policy.pii_scanner = "macie")'
    )


def test_the_format_table_follows_macies_documentation() -> None:
    # User Guide, "Supported file and storage formats": Avro, Parquet, PDF, Word, Excel are read;
    # images and other multimedia are not; compression by the .gz, .gzip, .tar, .zip extensions.
    read_by_macie = {f.name for f in FORMATS if f.macie}
    assert read_by_macie == {
        "Apache Parquet",
        "Apache Avro",
        "PDF document",
        "Microsoft Word document",
        "Microsoft Excel workbook",
    }
    for suffix in (".gz", ".gzip", ".tar", ".zip", ".csv", ".json", ".txt", ".py"):
        assert format_by_name(f"a{suffix}") is None  # both scanners read it
    tgz = format_by_name("a.tgz")
    assert tgz is not None
    assert (tgz.local, tgz.macie) == (True, False)
    suffixes = [suffix for f in FORMATS for suffix in f.suffixes]
    assert len(suffixes) == len(set(suffixes))
    assert format_by_magic(b"PAR1...") is format_by_name("x.parquet")
    assert format_by_magic(b"plain text") is None
