"""The local PII scanner against presidio-analyzer: throughput, and precision and recall per type.

Both scan the same generated corpus (``_pii_corpus.py``: an event log and a user table as CSV,
support tickets as JSON Lines; a low rate of personal data and many near misses) in the same
run, in interleaved rounds:

* local: ``LocalScanner().classify(key, data)`` on each object's bytes (format detection,
  decompression check and detectors included);
* presidio, pattern recognizers (the issue's configuration, and the target's baseline):
  ``AnalyzerEngine(nlp_engine=NoOpNlpEngine(...))`` with only presidio's ``PatternRecognizer``s
  for English (all 16 of them: card, SSN, e-mail, IBAN, dates, IPs, URLs, ...), on the text
  decoded from the same bytes, in pieces of at most 64 KiB cut at line ends;
* presidio, pattern recognizers of the shared types: only those of the types both detect
  (credit card, US SSN, e-mail, IBAN), a stricter baseline than the target's, reported;
* presidio, all shared types: those plus ``PhoneRecognizer`` (python-phonenumbers; no NLP
  either), presidio's only phone detector; its results are the ones scored for accuracy.

Accuracy is counted per record (CSV row, JSONL line) against the corpus labels: presidio's spans
are mapped to the record they fall in, the local scanner classifies each record on its own (with
the CSV header, whose column names are keywords). Presidio runs with its defaults (no score
threshold). Types presidio has no recognizer for (dates of birth, AWS credentials, private keys)
are scored for the local scanner only. The local arm takes milliseconds, so each round times it
:data:`LOCAL_REPEATS` times. Figures are printed, never asserted.

Needs ``presidio-analyzer`` for the presidio arms; without it only the local figures are printed.

    python benchmarks/bench_pii_local.py [--quick]
"""

from __future__ import annotations

import bisect
import functools
import importlib.util
import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import _common
import _pii_corpus

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

#: What each scanner calls the types both detect, in the corpus' canonical names.
PRESIDIO_TYPES = {
    "CREDIT_CARD": "CARD",
    "US_SSN": "SSN",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "IBAN_CODE": "IBAN",
}
SHARED = ("CARD", "SSN", "EMAIL", "PHONE", "IBAN")
LOCAL_REPEATS = 5
PIECE_CHARS = 64 * 1024
RATIO_TARGET = 50.0


@dataclass(frozen=True)
class Plan:
    corpus_bytes: int
    rounds: int


FULL = Plan(corpus_bytes=1_500_000, rounds=3)
QUICK = Plan(corpus_bytes=150_000, rounds=2)


def canonical(identifier: str) -> str:
    """A Macie identifier id as a corpus type."""
    if identifier.startswith("CREDIT_CARD_NUMBER"):
        return "CARD"
    if identifier.endswith("PHONE_NUMBER"):
        return "PHONE"
    if identifier.endswith("BANK_ACCOUNT_NUMBER"):
        return "IBAN"
    fixed = {
        "USA_SOCIAL_SECURITY_NUMBER": "SSN",
        "EMAIL_ADDRESS": "EMAIL",
        "DATE_OF_BIRTH": "DOB",
        "AWS_CREDENTIALS": "AWS",
    }
    return fixed.get(identifier, "KEY")


def pieces(text: str) -> list[str]:
    """``text`` in pieces of at most :data:`PIECE_CHARS`, cut after a newline."""
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + PIECE_CHARS)
        if end < len(text):
            cut = text.rfind("\n", start, end) + 1
            end = cut if cut > start else end
        out.append(text[start:end])
        start = end
    return out


#: The presidio arms: which recognizers each runs, and which entities it is asked for.
PATTERNS = "presidio, pattern recognizers"
PATTERNS_SHARED = "presidio, pattern recognizers of the shared types"
ALL_SHARED = "presidio, all shared types"


def presidio_engine(arm: str) -> Any:
    """An AnalyzerEngine with no NLP model and the recognizers of ``arm``."""
    import tldextract
    from presidio_analyzer import AnalyzerEngine, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        PhoneRecognizer,
        UsSsnRecognizer,
    )

    # The e-mail recognizer asks tldextract, which would download the public suffix list:
    # use the snapshot it ships with (the benchmark needs no network).
    offline: Any = tldextract.TLDExtract(suffix_list_urls=())
    tldextract.extract = offline
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    nlp_engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    if arm == PATTERNS:
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
        registry.recognizers = [
            recognizer
            for recognizer in registry.recognizers
            if isinstance(recognizer, PatternRecognizer)
        ]
    else:
        recognizers: list[Any] = [
            CreditCardRecognizer(),
            UsSsnRecognizer(),
            EmailRecognizer(),
            IbanRecognizer(),
        ]
        if arm == ALL_SHARED:
            recognizers.append(PhoneRecognizer())
        registry = RecognizerRegistry(recognizers=recognizers)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def presidio_pass(
    engine: Any, files: Sequence[tuple[str, bytes]], entities: list[str] | None
) -> list[list[Any]]:
    """Every result per file (offsets into the file's text); all entities for ``None``."""
    found = []
    for _, data in files:
        results: list[Any] = []
        offset = 0
        for piece in pieces(data.decode()):
            for result in engine.analyze(text=piece, language="en", entities=entities):
                result.start += offset
                results.append(result)
            offset += len(piece)
        found.append(results)
    return found


def local_pass(scanner: Any, files: Sequence[tuple[str, bytes]]) -> list[Counter[str]]:
    found = []
    for key, data in files:
        _, detections, _ = scanner.classify(key, data)
        found.append(Counter({d.identifier: d.count for d in detections}))
    return found


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, got: int, truth: int) -> None:
        self.tp += min(got, truth)
        self.fp += max(0, got - truth)
        self.fn += max(0, truth - got)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")


def local_scores(scanner: Any, corpus: Sequence[_pii_corpus.CorpusFile]) -> dict[str, Score]:
    """Each record classified on its own (after the CSV header), against its labels."""
    scores = {kind: Score() for kind in _pii_corpus.TYPES}
    for item in corpus:
        header = f"{item.header}\n" if item.header is not None else ""
        for record in item.records:
            _, detections, _ = scanner.classify(item.key, f"{header}{record.text}\n".encode())
            got: Counter[str] = Counter()
            for detection in detections:
                got[canonical(detection.identifier)] += detection.count
            for kind in _pii_corpus.TYPES:
                scores[kind].add(got[kind], record.truth.get(kind, 0))
    return scores


def presidio_scores(
    corpus: Sequence[_pii_corpus.CorpusFile], found: Sequence[Sequence[Any]]
) -> dict[str, Score]:
    """Presidio's spans mapped to the record (line) they start in, against its labels."""
    scores = {kind: Score() for kind in SHARED}
    for item, results in zip(corpus, found, strict=True):
        starts, position = [], len(item.header) + 1 if item.header is not None else 0
        for record in item.records:
            starts.append(position)
            position += len(record.text) + 1
        got: list[Counter[str]] = [Counter() for _ in item.records]
        for result in results:
            line = bisect.bisect_right(starts, result.start) - 1
            if line >= 0:
                got[line][PRESIDIO_TYPES[result.entity_type]] += 1
        for record, counted in zip(item.records, got, strict=True):
            for kind in SHARED:
                scores[kind].add(counted[kind], record.truth.get(kind, 0))
    return scores


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    outcome = action()
    return time.perf_counter() - start, outcome


def main(argv: list[str] | None = None) -> int:
    args = _common.parse_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    plan = QUICK if args.quick else FULL
    _common.ensure_safeai_importable()
    from safeai.pii._local import LocalScanner

    corpus = _pii_corpus.generate(plan.corpus_bytes)
    files = [(item.key, item.data()) for item in corpus]
    size = sum(len(data) for _, data in files)
    scanner = LocalScanner()
    have_presidio = importlib.util.find_spec("presidio_analyzer") is not None
    arms: dict[str, Callable[[Sequence[tuple[str, bytes]]], object]] = {
        "local": lambda objects: local_pass(scanner, objects)
    }
    if have_presidio:
        for arm in (PATTERNS, PATTERNS_SHARED, ALL_SHARED):
            entities = None if arm == PATTERNS else list(PRESIDIO_TYPES)
            arms[arm] = functools.partial(presidio_pass, presidio_engine(arm), entities=entities)
    if not have_presidio:
        print("presidio-analyzer is not installed (pip install presidio-analyzer): local only")
    sample = [(key, data[:20_000]) for key, data in files]
    for run in arms.values():  # warm-up: imports, compiled patterns, caches
        run(sample)

    seconds: dict[str, list[float]] = {name: [] for name in arms}
    outcomes: dict[str, object] = {}
    names = list(arms)
    for round_number in range(plan.rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            for _ in range(LOCAL_REPEATS if name == "local" else 1):
                elapsed, outcomes[name] = timed(functools.partial(arms[name], files))
                seconds[name].append(elapsed)
    speed = {name: size / _common.median(values) / 1e6 for name, values in seconds.items()}

    truth = Counter[str]()
    for item in corpus:
        for record in item.records:
            truth.update(record.truth)
    print(
        f"corpus: {len(files)} objects, {size / 1e6:.2f} MB, "
        f"{sum(len(item.records) for item in corpus)} records; labelled values: "
        + ", ".join(f"{kind} {truth[kind]}" for kind in _pii_corpus.TYPES)
    )
    print()
    _common.print_table(
        ["arm", "runs", "MB/s (median)", "slowest", "fastest"],
        [
            [
                name,
                len(seconds[name]),
                speed[name],
                size / max(seconds[name]) / 1e6,
                size / min(seconds[name]) / 1e6,
            ]
            for name in names
        ],
    )
    ratios = {name: speed["local"] / speed[name] for name in names if name != "local"}
    print()
    for name, ratio in ratios.items():
        target = f"target >= {RATIO_TARGET:g}x" if name == PATTERNS else "reported"
        print(f"local / {name}: {ratio:,.1f}x ({target})")

    local = local_scores(scanner, corpus)
    whole = Counter[str]()
    local_found = outcomes["local"]
    assert isinstance(local_found, list)
    for counted in local_found:
        for identifier, count in counted.items():
            whole[canonical(identifier)] += count
    per_record = {kind: local[kind].tp + local[kind].fp for kind in _pii_corpus.TYPES}
    consistent = all(whole[kind] == per_record[kind] for kind in _pii_corpus.TYPES)
    print(f"local counts, whole objects == sum over records: {'yes' if consistent else 'NO'}")

    presidio: dict[str, Score] = {}
    if have_presidio:
        found = outcomes[ALL_SHARED]
        assert isinstance(found, list)
        presidio = presidio_scores(corpus, found)
    print()
    rows = []
    for kind in _pii_corpus.TYPES:
        row: list[object] = [kind, truth[kind], local[kind].precision, local[kind].recall]
        row += [presidio[kind].precision, presidio[kind].recall] if kind in presidio else ["", ""]
        rows.append(row)
    _common.print_table(
        ["type", "labelled", "local P", "local R", "presidio P", "presidio R"], rows
    )
    not_worse = (
        None
        if not presidio
        else all(
            local[kind].precision >= presidio[kind].precision
            and local[kind].recall >= presidio[kind].recall
            for kind in SHARED
        )
    )
    if presidio:
        print(
            f"local precision and recall no worse than presidio's on every shared type: "
            f"{'yes' if not_worse else 'NO'}"
        )
    _common.emit_result(
        {
            "benchmark": "pii_local",
            "quick": args.quick,
            "corpus_mb": round(size / 1e6, 3),
            "mb_per_s": {name: round(value, 3) for name, value in speed.items()},
            "ratios": {name: round(value, 1) for name, value in ratios.items()},
            "target_ratio": None if PATTERNS not in ratios else round(ratios[PATTERNS], 1),
            "local": {
                kind: [round(local[kind].precision, 4), round(local[kind].recall, 4)]
                for kind in _pii_corpus.TYPES
            },
            "presidio": None
            if not presidio
            else {
                kind: [round(presidio[kind].precision, 4), round(presidio[kind].recall, 4)]
                for kind in SHARED
            },
            "accuracy_not_worse": not_worse,
            "whole_equals_records": consistent,
            **_common.machine_info(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
