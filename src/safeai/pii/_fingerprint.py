"""The fingerprint cache in front of any scanner: an object is scanned again only when it changed.

A verdict is kept by the object's fingerprint as a listing shows it (bucket, key, ETag, size) and
the scanner's name, so a re-launch on unchanged data makes only the listing calls, and after one
object changed the scanner sees that object alone. Only ``pii`` verdicts and unqualified
``clean`` verdicts are kept: they are facts about the bytes. An ``unknown`` verdict (a format the
scanner cannot read, a KMS key Macie may not use, an object Macie did not sample) is asked again
every time, since its cause may be fixed without the object changing; so is a ``clean`` verdict
with a reason (the local scanner's "sampled: ..."), which depends on how the scanner was set.

Verdicts live in the process (bounded, least recently used first out, thread-safe) and, when the
caller names a directory, in a JSON-lines file there that holds ids, statuses, identifier types
and counts, never the values found. The file is replaced atomically; a file that cannot be read
or parsed is ignored with a logged warning and rewritten on the next store.

Concurrent callers run one scan for the same objects (single-flight): the first caller scans the
objects nobody is scanning yet, and waits for the others' answers on the objects they are.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import PolicyError, SafeAIError
from ..preflight._cache import fail_closed
from ._verdict import Detection, ObjectVerdict, S3Object

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from ._verdict import Scanner, Status

__all__ = ["CONTROL", "VerdictCache", "scan_targets"]

#: The control slug of the PII pre-flight check, named in the errors of its scans.
#: The slug scanners name in their errors; the guard names the control of the request instead
#: (``training.pii``, ...).
CONTROL = "pii"
FILE_NAME = "verdicts.jsonl"
_FORMAT = {"format": "safeai.pii.verdicts", "version": 1}
_log = logging.getLogger("safeai.pii")

#: (scanner name, bucket, key, ETag, size)
_Key = tuple[str, str, str, str, int]


@dataclass(frozen=True, slots=True)
class _Stored:
    status: Status
    detections: tuple[Detection, ...]
    reason: str | None


def _kept(verdict: ObjectVerdict) -> bool:
    return verdict.status == "pii" or (verdict.status == "clean" and verdict.reason is None)


def _key(scanner: str, obj: S3Object) -> _Key:
    return (scanner, obj.bucket, obj.key, obj.etag, obj.size)


class VerdictCache:
    """Verdicts by object fingerprint, in the process and optionally in ``directory``.

    >>> cache = VerdictCache("~/.cache/safeai/pii")
    >>> verdicts = scan_targets([("bucket", "train/")], MacieScanner(), clients, cache=cache)

    ``max_entries`` bounds the verdicts kept (in memory and in the file), the least recently
    used going first.
    """

    def __init__(
        self, directory: str | os.PathLike[str] | None = None, *, max_entries: int = 100_000
    ) -> None:
        if max_entries < 1:
            raise PolicyError(f"must be at least 1, not {max_entries}", field="max_entries")
        self._path = Path(directory).expanduser() / FILE_NAME if directory is not None else None
        self._max_entries = max_entries
        self._entries: OrderedDict[_Key, _Stored] = OrderedDict()
        self._flights: dict[_Key, Future[ObjectVerdict]] = {}
        self._lock = threading.Lock()
        self._disk_lock = threading.Lock()
        self._loaded = threading.Event()
        if self._path is None:
            self._loaded.set()
        # Bumped by clear(): a scan that started before a clear does not store its verdicts.
        self._generation = 0

    @property
    def path(self) -> Path | None:
        """The file the verdicts are kept in (None: in this process only)."""
        return self._path

    def lookup(self, scanner: str, obj: S3Object) -> ObjectVerdict | None:
        """The verdict ``scanner`` gave ``obj`` as it is now, if known."""
        self._load()
        with self._lock:
            stored = self._entries.get(_key(scanner, obj))
            if stored is None:
                return None
            self._entries.move_to_end(_key(scanner, obj))
        return ObjectVerdict(obj, stored.status, stored.detections, stored.reason)

    def store(self, scanner: str, verdicts: Iterable[ObjectVerdict]) -> None:
        """Keep the verdicts of ``scanner`` that are facts about the bytes (and write the file)."""
        self._load()
        with self._lock:
            self._keep(scanner, verdicts)
        self._save()

    def scan(
        self,
        scanner: Scanner,
        clients: Callable[[str], Any],
        objects: Sequence[S3Object],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[ObjectVerdict]:
        """One verdict per object, in order: known ones from the cache, the others from one call
        of ``scanner.scan`` (objects another thread is scanning are waited for, not rescanned).

        An exception of the scanner is raised here and in every caller waiting for its objects;
        nothing is cached from a failed scan.
        """
        self._load()
        total = len(objects)
        verdicts: list[ObjectVerdict | None] = [None] * total
        mine: dict[_Key, list[int]] = {}
        waits: list[tuple[int, Future[ObjectVerdict]]] = []
        with self._lock:
            generation = self._generation
            for index, obj in enumerate(objects):
                key = _key(scanner.name, obj)
                stored = self._entries.get(key)
                if stored is not None:
                    self._entries.move_to_end(key)
                    verdicts[index] = ObjectVerdict(
                        obj, stored.status, stored.detections, stored.reason
                    )
                elif key in mine:
                    mine[key].append(index)
                elif key in self._flights:
                    waits.append((index, self._flights[key]))
                else:
                    self._flights[key] = Future()
                    mine[key] = [index]
        known = total - sum(len(indices) for indices in mine.values()) - len(waits)
        if progress is not None:
            progress(known, total)
        if mine:
            self._scan_mine(scanner, clients, objects, mine, verdicts, generation, known, progress)
        for index, flight in waits:
            verdicts[index] = replace(flight.result(), object=objects[index])
        if progress is not None:
            progress(total, total)
        answered = [verdict for verdict in verdicts if verdict is not None]
        assert len(answered) == total, "every object has a verdict"
        return answered

    def _scan_mine(
        self,
        scanner: Scanner,
        clients: Callable[[str], Any],
        objects: Sequence[S3Object],
        mine: dict[_Key, list[int]],
        verdicts: list[ObjectVerdict | None],
        generation: int,
        known: int,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        to_scan = [objects[indices[0]] for indices in mine.values()]

        def report(done: int, _total: int) -> None:
            if progress is not None:
                progress(known + done, len(objects))

        try:
            found = scanner.scan(clients, to_scan, progress=report)
            if len(found) != len(to_scan):
                raise SafeAIError(
                    f"the {scanner.name} scanner answered {len(found)} verdicts for "
                    f"{len(to_scan)} objects"
                )
            # Kept under the fingerprint this cache looked up, whatever object the scanner echoed.
            found = [replace(v, object=o) for v, o in zip(found, to_scan, strict=True)]
        except BaseException as error:
            with self._lock:
                flights = [self._flights.pop(key) for key in mine]
            for flight in flights:
                flight.set_exception(error)
            raise
        with self._lock:
            if generation == self._generation:
                self._keep(scanner.name, found)
            flights = [self._flights.pop(key) for key in mine]
        for flight, verdict, indices in zip(flights, found, mine.values(), strict=True):
            flight.set_result(verdict)
            for index in indices:
                verdicts[index] = replace(verdict, object=objects[index])
        self._save()

    def _keep(self, scanner: str, verdicts: Iterable[ObjectVerdict]) -> None:
        """Remember verdicts in memory (the caller holds the lock)."""
        for verdict in verdicts:
            if _kept(verdict):
                key = _key(scanner, verdict.object)
                self._entries[key] = _Stored(verdict.status, verdict.detections, verdict.reason)
                self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every verdict, in memory and on disk (scans in flight store nothing)."""
        with self._disk_lock, self._lock:
            self._entries.clear()
            self._generation += 1
            if self._path is not None:
                try:
                    self._path.unlink(missing_ok=True)
                except OSError as error:
                    _log.warning("cannot delete the PII verdict cache %s: %s", self._path, error)

    def __len__(self) -> int:
        self._load()
        with self._lock:
            return len(self._entries)

    # The file.

    def _load(self) -> None:
        if self._loaded.is_set():
            return
        with self._disk_lock:
            if self._loaded.is_set():
                return
            entries = self._read()
            with self._lock:
                for key, stored in entries.items():
                    self._entries.setdefault(key, stored)
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
                self._loaded.set()

    def _read(self) -> dict[_Key, _Stored]:
        """The verdicts in the file (none when it is missing or cannot be used)."""
        assert self._path is not None
        try:
            lines = self._path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as error:
            _log.warning("ignoring the PII verdict cache %s: cannot read it: %s", self._path, error)
            return {}
        try:
            if not lines or json.loads(lines[0]) != _FORMAT:
                raise ValueError("not a safeai verdict cache (format line missing)")
            return dict(_parse(line) for line in lines[1:] if line.strip())
        except (ValueError, TypeError, KeyError) as error:
            _log.warning("ignoring the PII verdict cache %s: corrupted: %s", self._path, error)
            return {}

    def _save(self) -> None:
        """Write the verdicts of this process merged with those another process wrote since,
        to a temporary file then renamed over the old one (readers never see half a file)."""
        if self._path is None:
            return
        with self._disk_lock:
            on_disk = self._read()
            with self._lock:
                merged = OrderedDict(on_disk)
                for key, stored in self._entries.items():
                    merged.pop(key, None)
                    merged[key] = stored
            while len(merged) > self._max_entries:
                merged.popitem(last=False)
            lines = [json.dumps(_FORMAT)] + [_line(key, stored) for key, stored in merged.items()]
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                descriptor, temporary = tempfile.mkstemp(
                    prefix=".verdicts-", suffix=".tmp", dir=self._path.parent
                )
                try:
                    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                        file.write("\n".join(lines) + "\n")
                        file.flush()
                        os.fsync(file.fileno())
                    os.replace(temporary, self._path)
                except BaseException:
                    Path(temporary).unlink(missing_ok=True)
                    raise
            except OSError as error:
                # The cache saves scans; failing to keep it costs a scan later, never a check.
                _log.warning("cannot write the PII verdict cache %s: %s", self._path, error)


def _line(key: _Key, stored: _Stored) -> str:
    scanner, bucket, name, etag, size = key
    return json.dumps(
        {
            "scanner": scanner,
            "bucket": bucket,
            "key": name,
            "etag": etag,
            "size": size,
            "status": stored.status,
            "detections": [[d.identifier, d.count] for d in stored.detections],
            "reason": stored.reason,
        },
        ensure_ascii=False,
    )


def _parse(line: str) -> tuple[_Key, _Stored]:
    record = json.loads(line)
    key = (record["scanner"], record["bucket"], record["key"], record["etag"], record["size"])
    status = record["status"]
    reason = record["reason"]
    if (
        not all(isinstance(part, str) for part in key[:4])
        or type(key[4]) is not int
        or not (reason is None or isinstance(reason, str))
        or not (status == "pii" or (status == "clean" and reason is None))
    ):
        raise ValueError(f"malformed entry: {line[:200]}")
    detections = []
    for identifier, count in record["detections"]:
        if not isinstance(identifier, str) or type(count) is not int:
            raise ValueError(f"malformed detection in: {line[:200]}")
        detections.append(Detection(identifier, count))
    return key, _Stored(status, tuple(detections), reason)


def scan_targets(
    targets: Sequence[tuple[str, str]],
    scanner: Scanner,
    clients: Callable[[str], Any],
    *,
    cache: VerdictCache,
    progress: Callable[[int, int], None] | None = None,
) -> list[ObjectVerdict]:
    """The verdicts of every object under each ``(bucket, prefix)``, in listing order.

    Lists the targets with ``list_objects_v2`` (every page), then asks ``cache`` (which asks
    ``scanner`` only about objects it has no verdict for). An object under two targets is
    scanned once. A listing that fails raises :class:`safeai.PreflightError` (fail closed).
    """
    s3 = clients("s3")
    objects: dict[tuple[str, str], S3Object] = {}
    for bucket, prefix in targets:
        with fail_closed(
            CONTROL, f"s3://{bucket}/{prefix}", "the objects", f"s3:ListBucket on {bucket}"
        ):
            request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
            while True:
                page = s3.list_objects_v2(**request)
                for item in page.get("Contents", []):
                    objects.setdefault(
                        (bucket, item["Key"]),
                        S3Object(
                            bucket=bucket,
                            key=item["Key"],
                            etag=item["ETag"],
                            size=item["Size"],
                            last_modified=item["LastModified"].timestamp(),
                        ),
                    )
                if not page.get("IsTruncated"):
                    break
                request["ContinuationToken"] = page["NextContinuationToken"]
    return cache.scan(scanner, clients, list(objects.values()), progress=progress)
