"""The fingerprint cache in front of a scanner: hits, misses, the file, its bound, single-flight.

The scanner here is a recording implementation of the ``Scanner`` protocol (no AWS: the cache
never calls AWS itself; listing is tested over moto in tests/functional/test_pii_macie.py).
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from typing import TYPE_CHECKING, Any

import pytest

from safeai import PolicyError, PreflightError, SafeAIError
from safeai.pii._fingerprint import FILE_NAME, VerdictCache
from safeai.pii._verdict import Detection, ObjectVerdict, S3Object

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path


def obj(key: str, etag: str = "e1", size: int = 10) -> S3Object:
    return S3Object(bucket="b", key=key, etag=f'"{etag}"', size=size, last_modified=1.0)


class RecordingScanner:
    """Judges by key: ``pii`` in the key is PII (two e-mails), ``.npy`` is unknown, else clean."""

    def __init__(self, name: str = "recording") -> None:
        self.name = name
        self.calls: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.error: BaseException | None = None

    def scan(
        self,
        clients: Callable[[str], Any],
        objects: Sequence[S3Object],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[ObjectVerdict]:
        self.calls.append([o.key for o in objects])
        self.entered.set()
        assert self.release.wait(10)
        if self.error is not None:
            raise self.error
        verdicts = []
        for done, o in enumerate(objects, 1):
            if "pii" in o.key:
                verdicts.append(ObjectVerdict(o, "pii", (Detection("EMAIL_ADDRESS", 2),)))
            elif o.key.endswith(".npy"):
                verdicts.append(ObjectVerdict(o, "unknown", reason="not a format it reads"))
            else:
                verdicts.append(ObjectVerdict(o, "clean"))
            if progress is not None:
                progress(done, len(objects))
        return verdicts


def no_clients(service: str) -> Any:
    raise AssertionError(f"the cache itself must not make a {service} client")


def test_only_objects_without_a_verdict_reach_the_scanner() -> None:
    cache, scanner = VerdictCache(), RecordingScanner()
    first = cache.scan(scanner, no_clients, [obj("a.csv"), obj("pii.csv")])
    assert [v.status for v in first] == ["clean", "pii"]
    assert first[1].detections == (Detection("EMAIL_ADDRESS", 2),)

    again = cache.scan(scanner, no_clients, [obj("a.csv"), obj("pii.csv")])
    assert again == first
    changed = cache.scan(scanner, no_clients, [obj("a.csv", etag="e2"), obj("pii.csv")])
    assert scanner.calls == [["a.csv", "pii.csv"], ["a.csv"]]
    assert changed[0].object.etag == '"e2"'


def test_a_new_size_or_another_scanner_is_a_miss() -> None:
    cache, scanner, other = VerdictCache(), RecordingScanner(), RecordingScanner("other")
    cache.scan(scanner, no_clients, [obj("a.csv")])
    cache.scan(scanner, no_clients, [obj("a.csv", size=11)])
    cache.scan(other, no_clients, [obj("a.csv")])
    assert scanner.calls == [["a.csv"], ["a.csv"]]
    assert other.calls == [["a.csv"]]


def test_unknown_verdicts_are_asked_again() -> None:
    cache, scanner = VerdictCache(), RecordingScanner()
    cache.scan(scanner, no_clients, [obj("x.npy"), obj("a.csv")])
    verdicts = cache.scan(scanner, no_clients, [obj("x.npy"), obj("a.csv")])
    assert scanner.calls == [["x.npy", "a.csv"], ["x.npy"]]
    assert verdicts[0].reason == "not a format it reads"


def test_a_qualified_clean_verdict_is_asked_again() -> None:
    class Sampling(RecordingScanner):
        def scan(
            self, clients: Any, objects: Sequence[S3Object], *, progress: Any = None
        ) -> list[ObjectVerdict]:
            self.calls.append([o.key for o in objects])
            return [
                ObjectVerdict(o, "clean", (), "sampled: read the first 10 bytes only")
                for o in objects
            ]

    cache, scanner = VerdictCache(), Sampling()
    cache.scan(scanner, no_clients, [obj("a.csv")])
    [verdict] = cache.scan(scanner, no_clients, [obj("a.csv")])
    assert scanner.calls == [["a.csv"], ["a.csv"]]
    assert verdict.reason == "sampled: read the first 10 bytes only"


def test_a_duplicate_object_is_scanned_once() -> None:
    cache, scanner = VerdictCache(), RecordingScanner()
    verdicts = cache.scan(scanner, no_clients, [obj("pii.csv"), obj("pii.csv")])
    assert scanner.calls == [["pii.csv"]]
    assert [v.status for v in verdicts] == ["pii", "pii"]


def test_progress_counts_hits_and_the_scanners_progress() -> None:
    cache, scanner = VerdictCache(), RecordingScanner()
    cache.scan(scanner, no_clients, [obj("a.csv")])
    seen: list[tuple[int, int]] = []
    cache.scan(
        scanner,
        no_clients,
        [obj("a.csv"), obj("b.csv"), obj("c.csv")],
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3), (3, 3)]


def test_the_file_round_trips_ids_and_counts_only(tmp_path: Path) -> None:
    scanner = RecordingScanner()
    VerdictCache(tmp_path / "pii").scan(
        scanner, no_clients, [obj("pii.csv"), obj("a.csv"), obj("x.npy")]
    )

    fresh = VerdictCache(tmp_path / "pii")
    assert len(fresh) == 2
    verdicts = fresh.scan(scanner, no_clients, [obj("pii.csv"), obj("a.csv")])
    assert scanner.calls == [["pii.csv", "a.csv", "x.npy"]]
    assert verdicts[0] == ObjectVerdict(obj("pii.csv"), "pii", (Detection("EMAIL_ADDRESS", 2),))
    path = tmp_path / "pii" / FILE_NAME
    assert fresh.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == {"format": "safeai.pii.verdicts", "version": 1}
    assert {line["key"] for line in lines[1:]} == {"pii.csv", "a.csv"}
    assert set(lines[1]) == {
        "scanner",
        "bucket",
        "key",
        "etag",
        "size",
        "status",
        "detections",
        "reason",
    }
    assert not [p for p in path.parent.iterdir() if p.name != FILE_NAME], "no temporary file left"


@pytest.mark.parametrize(
    "content",
    [
        "not json at all\n",
        '{"format": "something else", "version": 1}\n',
        '{"format": "safeai.pii.verdicts", "version": 1}\n{"scanner": "recording"}\n',
        '{"format": "safeai.pii.verdicts", "version": 1}\n'
        '{"scanner": "recording", "bucket": "b", "key": "a.csv", "etag": "\\"e1\\"", "size": 10,'
        ' "status": "unknown", "detections": [], "reason": null}\n',
        '{"format": "safeai.pii.verdicts", "version": 1}\n'
        '{"scanner": "recording", "bucket": "b", "key": "a.csv", "etag": "\\"e1\\"", "size": "10",'
        ' "status": "clean", "detections": [], "reason": null}\n',
        '{"format": "safeai.pii.verdicts", "version": 1}\n'
        '{"scanner": "recording", "bucket": "b", "key": "a.csv", "etag": "\\"e1\\"", "size": 10,'
        ' "status": "clean", "detections": [], "reason": "sampled"}\n',
    ],
    ids=[
        "garbage",
        "foreign-format",
        "missing-fields",
        "unknown-kept",
        "size-not-int",
        "qualified-clean",
    ],
)
def test_a_corrupted_file_is_ignored_with_a_warning_and_rewritten(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / FILE_NAME).write_text(content)
    scanner = RecordingScanner()
    with caplog.at_level(logging.WARNING, logger="safeai.pii"):
        verdicts = VerdictCache(tmp_path).scan(scanner, no_clients, [obj("a.csv")])
    assert [v.status for v in verdicts] == ["clean"]
    assert scanner.calls == [["a.csv"]], "nothing was trusted from the corrupted file"
    assert "corrupted" in caplog.text
    assert len(VerdictCache(tmp_path)) == 1, "the next store rewrote a valid file"


def test_an_unreadable_directory_costs_a_scan_not_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING, logger="safeai.pii"):
        verdicts = VerdictCache(blocker / "pii").scan(
            RecordingScanner(), no_clients, [obj("a.csv")]
        )
    assert [v.status for v in verdicts] == ["clean"]
    assert "cannot write" in caplog.text


def test_the_cache_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    cache, scanner = VerdictCache(tmp_path, max_entries=3), RecordingScanner()
    cache.scan(scanner, no_clients, [obj("1"), obj("2"), obj("3")])
    cache.scan(scanner, no_clients, [obj("1")])  # 1 is now the most recently used
    cache.scan(scanner, no_clients, [obj("4")])
    assert len(cache) == 3
    cache.scan(scanner, no_clients, [obj("1"), obj("2"), obj("3"), obj("4")])
    assert scanner.calls[-1] == ["2"]
    assert len(VerdictCache(tmp_path, max_entries=3)) == 3, "the file is bounded too"


def test_two_processes_sharing_a_directory_keep_both_their_verdicts(tmp_path: Path) -> None:
    first, second, scanner = VerdictCache(tmp_path), VerdictCache(tmp_path), RecordingScanner()
    first.scan(scanner, no_clients, [obj("a.csv")])
    second.scan(scanner, no_clients, [obj("b.csv")])
    VerdictCache(tmp_path).scan(scanner, no_clients, [obj("a.csv"), obj("b.csv")])
    assert scanner.calls == [["a.csv"], ["b.csv"]]


def test_concurrent_scans_of_the_same_objects_run_once() -> None:
    cache, scanner = VerdictCache(), RecordingScanner()
    scanner.release.clear()
    results: dict[str, list[ObjectVerdict]] = {}

    def scan(name: str, keys: list[str]) -> None:
        results[name] = cache.scan(scanner, no_clients, [obj(k) for k in keys])

    leader = threading.Thread(target=scan, args=("leader", ["a.csv", "pii.csv"]))
    leader.start()
    assert scanner.entered.wait(10)
    followers = [
        threading.Thread(target=scan, args=(f"f{i}", ["pii.csv", "a.csv"])) for i in range(4)
    ]
    late = threading.Thread(target=scan, args=("late", ["pii.csv", "c.csv"]))
    for thread in [*followers, late]:
        thread.start()
    # The late caller scans only what nobody is scanning yet; release once it has asked.
    for _ in range(1000):
        if len(scanner.calls) == 2:
            break
        threading.Event().wait(0.01)
    scanner.release.set()
    for thread in [leader, *followers, late]:
        thread.join(10)
    assert sorted(scanner.calls) == [["a.csv", "pii.csv"], ["c.csv"]]
    assert all([v.status for v in results[f"f{i}"]] == ["pii", "clean"] for i in range(4)), results
    assert [v.object.key for v in results["late"]] == ["pii.csv", "c.csv"]


def test_a_failed_scan_fails_its_waiters_and_caches_nothing() -> None:
    cache, scanner = VerdictCache(), RecordingScanner()
    scanner.release.clear()
    scanner.error = PreflightError("Macie refused", control="pii")
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            cache.scan(scanner, no_clients, [obj("a.csv")])
        except PreflightError as error:
            errors.append(error)

    threads = [threading.Thread(target=scan) for _ in range(3)]
    threads[0].start()
    assert scanner.entered.wait(10)
    for thread in threads[1:]:
        thread.start()
    threading.Event().wait(0.2)  # the others find the flight and wait on it
    scanner.release.set()
    for thread in threads:
        thread.join(10)
    assert len(errors) == 3
    assert all(e is scanner.error for e in errors)
    assert scanner.calls == [["a.csv"]]
    scanner.error = None
    assert [v.status for v in cache.scan(scanner, no_clients, [obj("a.csv")])] == ["clean"]
    assert len(scanner.calls) == 2


def test_clear_forgets_memory_and_file_and_what_is_in_flight(tmp_path: Path) -> None:
    cache, scanner = VerdictCache(tmp_path), RecordingScanner()
    cache.scan(scanner, no_clients, [obj("a.csv")])
    scanner.release.clear()
    flight = threading.Thread(target=cache.scan, args=(scanner, no_clients, [obj("b.csv")]))
    flight.start()
    assert scanner.entered.wait(10)
    cache.clear()
    assert not (tmp_path / FILE_NAME).exists()
    scanner.release.set()
    flight.join(10)
    assert len(cache) == 0, "a scan that started before clear() stores nothing"


def test_a_scanner_answering_the_wrong_number_of_verdicts_is_a_bug() -> None:
    class Short(RecordingScanner):
        def scan(
            self, clients: Any, objects: Sequence[S3Object], *, progress: Any = None
        ) -> list[ObjectVerdict]:
            return super().scan(clients, objects[:1], progress=progress)

    with pytest.raises(SafeAIError, match="1 verdicts for 2 objects"):
        VerdictCache().scan(Short(), no_clients, [obj("a"), obj("b")])


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(PolicyError, match="max_entries"):
        VerdictCache(max_entries=0)


def test_the_file_is_replaced_not_rewritten_in_place(tmp_path: Path) -> None:
    cache = VerdictCache(tmp_path)
    cache.scan(RecordingScanner(), no_clients, [obj("a.csv")])
    before = os.stat(tmp_path / FILE_NAME).st_ino
    cache.scan(RecordingScanner(), no_clients, [obj("b.csv")])
    assert os.stat(tmp_path / FILE_NAME).st_ino != before
