"""A labelled corpus for ``bench_pii_local.py``: CSV and JSONL files, generated from a seed.

The files look like what a training job reads: an event log and a user table (CSV) and support
tickets (JSONL). Most values are not personal data, and many are near misses on purpose: order
numbers that fail the Luhn check, SSNs with an area of 000, 666 or 9xx, IBANs with wrong check
digits, ``AKIA`` ids one character short, SHA-1 digests and API tokens (40 characters, like an
AWS secret, but with no keyword), dates with no birth keyword, public keys and certificates.
Now and then a record holds real-looking personal data, and its label counts it.

Labels are per record, in canonical types (``CARD``, ``SSN``, ``EMAIL``, ``PHONE``, ``IBAN``,
``DOB``, ``AWS``, ``KEY``) so that both scanners' answers can be mapped onto them. Every value
is synthetic: cards and IBANs get valid check digits, nothing is a real person's.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import random
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["TYPES", "CorpusFile", "Record", "generate"]

TYPES = ("CARD", "SSN", "EMAIL", "PHONE", "IBAN", "DOB", "AWS", "KEY")

_FIRST = ("ana", "ben", "chloe", "david", "emma", "farid", "grace", "hiro", "ines", "jonas")
_LAST = ("smith", "garcia", "muller", "rossi", "dubois", "kowalski", "tanaka", "silva", "ng")
_DOMAINS = ("example.com", "mail.example.org", "corp.example.net", "example.co.uk", "test.io")
_WORDS = [
    "order",
    "delayed",
    "package",
    "arrived",
    "damaged",
    "refund",
    "requested",
    "customer",
    "satisfied",
    "item",
    "returned",
    "warehouse",
    "shipped",
    "tracking",
    "updated",
    "courier",
    "address",
    "verified",
    "invoice",
    "issued",
    "discount",
    "applied",
    "subscription",
    "renewed",
    "model",
    "retrained",
    "feature",
    "drift",
    "detected",
    "batch",
    "processed",
]
_AREA_CODES = ("212", "213", "312", "415", "503", "617", "646", "702", "718", "805", "917")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

#: (country, layout of the BBAN: ``n`` digit, ``a`` upper-case letter, ``c`` either).
_IBAN_LAYOUTS = (
    ("DE", "n" * 18),
    ("GB", "aaaa" + "n" * 14),
    ("FR", "n" * 10 + "c" * 11 + "nn"),
    ("ES", "n" * 20),
    ("IT", "a" + "n" * 10 + "c" * 12),
    ("NL", "aaaa" + "n" * 10),
    ("BE", "n" * 12),
    ("AT", "n" * 16),
    ("PL", "n" * 24),
)


@dataclass(frozen=True, slots=True)
class Record:
    """One CSV row or JSONL line, and how many values of each type it holds."""

    text: str
    truth: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CorpusFile:
    """One object: its key, a header line for CSV, and its records."""

    key: str
    header: str | None
    records: tuple[Record, ...]

    def data(self) -> bytes:
        """The object's bytes, as a scanner reads them."""
        lines = [self.header] if self.header is not None else []
        lines.extend(record.text for record in self.records)
        return ("\n".join(lines) + "\n").encode()


class _Values:
    """Synthetic values, positive and near miss, from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def digits(self, count: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(count))

    def card(self, *, valid: bool = True) -> str:
        prefix, length = self.rng.choice(
            (
                ("4", 16),
                ("51", 16),
                ("55", 16),
                ("2221", 16),
                ("34", 15),
                ("37", 15),
                ("6011", 16),
                ("65", 16),
                ("3530", 16),
                ("36", 14),
                ("4", 13),
            )
        )
        body = prefix + self.digits(length - len(prefix) - 1)
        check = _luhn_digit(body)
        number = body + str(check if valid else (check + self.rng.randint(1, 9)) % 10)
        if length == 16 and self.rng.random() < 0.5:
            separator = self.rng.choice(" -")
            return separator.join(number[i : i + 4] for i in range(0, 16, 4))
        return number

    def order_number(self) -> str:
        """16 digits that no card network issues (leading 1, 7, 8 or 9)."""
        return self.rng.choice("1789") + self.digits(15)

    def ssn(self, *, valid: bool = True) -> str:
        area = self.rng.choice([n for n in range(1, 900) if n != 666])
        group, serial = self.rng.randint(1, 99), self.rng.randint(1, 9999)
        if not valid:
            kind = self.rng.randrange(5)
            area = (0, 666, self.rng.randint(900, 999), area, area)[kind]
            group = 0 if kind == 3 else group
            serial = 0 if kind == 4 else serial
        return f"{area:03d}-{group:02d}-{serial:04d}"

    def email(self) -> str:
        separator = self.rng.choice((".", "_", ""))
        local = f"{self.rng.choice(_FIRST)}{separator}{self.rng.choice(_LAST)}"
        if self.rng.random() < 0.3:
            local += str(self.rng.randint(1, 99))
        return f"{local}@{self.rng.choice(_DOMAINS)}"

    def phone(self) -> str:
        area, exchange = self.rng.choice(_AREA_CODES), f"{self.rng.randint(201, 989)}"
        if exchange[1:] == "11" or exchange == "555":
            exchange = "234"
        line = self.digits(4)
        return self.rng.choice(
            (
                f"({area}) {exchange}-{line}",
                f"{area}-{exchange}-{line}",
                f"+1 {area} {exchange} {line}",
                f"+1-{area}-{exchange}-{line}",
                f"+44 7{self.rng.randint(400, 999)} {self.digits(6)}",
                f"+33 6 {self.digits(2)} {self.digits(2)} {self.digits(2)} {self.digits(2)}",
                f"+49 151 {self.digits(4)} {self.digits(4)}",
            )
        )

    def iban(self, *, valid: bool = True) -> str:
        country, layout = self.rng.choice(_IBAN_LAYOUTS)
        pools = {"n": string.digits, "a": string.ascii_uppercase}
        bban = "".join(
            self.rng.choice(pools.get(kind, string.digits + string.ascii_uppercase))
            for kind in layout
        )
        check = 98 - _mod97(bban + country + "00")
        if not valid:
            check = (check + self.rng.randint(1, 96)) % 97 or 1
        compact = f"{country}{check:02d}{bban}"
        if self.rng.random() < 0.5:
            return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
        return compact

    def day(self, first_year: int, last_year: int) -> date:
        start = date(first_year, 1, 1)
        return start + timedelta(days=self.rng.randrange((date(last_year, 12, 31) - start).days))

    def date_text(self, when: date) -> str:
        return self.rng.choice(
            (
                when.isoformat(),
                f"{when.month:02d}/{when.day:02d}/{when.year}",
                f"{when.day} {_MONTHS[when.month - 1]} {when.year}",
            )
        )

    def birth_date(self) -> str:
        return self.date_text(self.day(1940, 2005))

    def token(self, length: int) -> str:
        alphabet = string.ascii_letters + string.digits + "+/"
        while True:
            value = "".join(self.rng.choice(alphabet) for _ in range(length))
            if any(c.isupper() for c in value) and any(c.islower() for c in value):
                return value

    def access_key_id(self, *, valid: bool = True) -> str:
        alphabet = string.ascii_uppercase + "234567"
        body = "".join(self.rng.choice(alphabet) for _ in range(16 if valid else 15))
        return self.rng.choice(("AKIA", "ASIA")) + body

    def sha1(self) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(40))

    def private_key(self) -> str:
        body_lines = [self.token(64) for _ in range(self.rng.randint(4, 8))]
        if self.rng.random() < 0.5:
            openssh = base64.b64encode(b"openssh-key-v1\x00" + self.rng.randbytes(33)).decode()
            body = [openssh[i : i + 70] for i in range(0, len(openssh), 70)] + body_lines
            return "\n".join(
                ["-----BEGIN OPENSSH PRIVATE KEY-----", *body, "-----END OPENSSH PRIVATE KEY-----"]
            )
        label = self.rng.choice(("RSA ", "EC ", ""))
        return "\n".join(
            [
                f"-----BEGIN {label}PRIVATE KEY-----",
                *body_lines,
                f"-----END {label}PRIVATE KEY-----",
            ]
        )

    def public_block(self) -> str:
        label = self.rng.choice(("PUBLIC KEY", "CERTIFICATE"))
        lines = [self.token(64) for _ in range(3)]
        return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])

    def words(self, count: int) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(count))

    def version(self) -> str:
        return f"v{self.rng.randint(0, 9)}.{self.rng.randint(0, 20)}.{self.rng.randint(0, 99)}"


def _luhn_digit(body: str) -> int:
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def _mod97(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text)) % 97


class _Note:
    """Free text with a label: benign words, near misses and, now and then, personal data."""

    def __init__(self, values: _Values, rate: float) -> None:
        self.values, self.rate = values, rate
        self.parts: list[str] = []
        self.truth: dict[str, int] = {}

    def add(self, kind: str, text: str) -> None:
        self.parts.append(text)
        self.truth[kind] = self.truth.get(kind, 0) + 1

    def build(self) -> tuple[str, dict[str, int]]:
        v, rng = self.values, self.values.rng
        self.parts.append(v.words(rng.randint(3, 9)))
        near_misses: tuple[Callable[[], str], ...] = (
            lambda: f"order {v.order_number()}",
            lambda: f"card {v.card(valid=False)} declined",
            lambda: f"id {v.ssn(valid=False)}",
            lambda: f"ref {v.iban(valid=False)}",
            lambda: f"shipped {v.day(2015, 2024).isoformat()}",
            lambda: f"build {v.version()} digest {v.sha1()}",
            lambda: f"key {v.access_key_id(valid=False)}",
            lambda: f"host 10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            lambda: f"amount {rng.randint(1000, 99999)}.{rng.randint(0, 99):02d}",
            lambda: f"tracking {v.digits(12)}",
            lambda: "logo@2x.png",
        )
        for _ in range(rng.randint(0, 2)):
            self.parts.append(rng.choice(near_misses)())
        positives: tuple[tuple[str, Callable[[], str]], ...] = (
            ("CARD", lambda: f"paid with {v.card()}"),
            ("SSN", lambda: f"ssn {v.ssn()}"),
            ("EMAIL", lambda: f"reply to {v.email()}"),
            ("PHONE", lambda: f"call {v.phone()}"),
            ("IBAN", lambda: f"refund to {v.iban()}"),
            ("DOB", lambda: f"date of birth {v.birth_date()}"),
        )
        for kind, make in positives:
            if rng.random() < self.rate:
                self.add(kind, make())
        rng.shuffle(self.parts)
        return " ".join(self.parts), self.truth


def _csv_line(cells: list[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def _events(values: _Values, count: int) -> CorpusFile:
    rng = values.rng
    header = "event_id,ts,user_id,amount,currency,category,f1,f2,f3,order_ref,checksum,note"
    records = []
    for _ in range(count):
        note, truth = _Note(values, rate=0.012).build()
        when = values.day(2022, 2024)
        cells: list[object] = [
            f"{rng.getrandbits(128):032x}",
            f"{when.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
            rng.randint(100000, 99999999),
            f"{rng.uniform(1, 5000):.2f}",
            rng.choice(("USD", "EUR", "GBP")),
            rng.choice(("grocery", "travel", "electronics", "fuel")),
            f"{rng.gauss(0, 1):.6f}",
            f"{rng.random():.6f}",
            rng.randint(0, 500),
            values.order_number(),
            values.sha1(),
            note,
        ]
        records.append(Record(_csv_line(cells), truth))
    return CorpusFile("events.csv", header, tuple(records))


def _users(values: _Values, count: int) -> CorpusFile:
    rng = values.rng
    header = "user_id,signup_date,country,plan,contact,dob,score,last_login,api_token"
    records = []
    for _ in range(count):
        truth: dict[str, int] = {}
        contact = ""
        draw = rng.random()
        if draw < 0.04:
            contact, truth["EMAIL"] = values.email(), 1
        elif draw < 0.07:
            contact, truth["PHONE"] = values.phone(), 1
        dob = ""
        if rng.random() < 0.04:
            dob, truth["DOB"] = values.birth_date(), 1
        cells: list[object] = [
            rng.randint(100000, 99999999),
            values.day(2015, 2024).isoformat(),
            rng.choice(("US", "GB", "DE", "FR", "JP")),
            rng.choice(("free", "pro", "team")),
            contact,
            dob,
            f"{rng.random():.4f}",
            values.date_text(values.day(2023, 2024)),
            values.token(40),
        ]
        records.append(Record(_csv_line(cells), truth))
    return CorpusFile("users.csv", header, tuple(records))


def _tickets(values: _Values, count: int) -> CorpusFile:
    rng = values.rng
    records = []
    for number in range(count):
        body, truth = _Note(values, rate=0.015).build()
        ticket: dict[str, object] = {
            "id": number,
            "created": f"{values.day(2022, 2024).isoformat()}T10:00:00Z",
            "user": {"id": rng.randint(1000, 999999), "locale": rng.choice(("en", "de", "fr"))},
            "subject": values.words(4),
            "body": body,
            "tags": [rng.choice(_WORDS) for _ in range(rng.randint(0, 3))],
            "attachments": [{"sha1": values.sha1()} for _ in range(rng.randint(0, 2))],
        }
        draw = rng.random()
        if draw < 0.01:
            ticket["config"] = {
                "aws_access_key_id": values.access_key_id(),
                "aws_secret_access_key": values.token(40),
            }
            truth["AWS"] = truth.get("AWS", 0) + 2
        elif draw < 0.02:
            ticket["ssh_key"] = values.private_key()
            truth["KEY"] = truth.get("KEY", 0) + 1
        elif draw < 0.04:
            ticket["server_cert"] = values.public_block()
        elif draw < 0.05:
            ticket["user"] = {"id": rng.randint(1000, 999999), "dob": values.birth_date()}
            truth["DOB"] = truth.get("DOB", 0) + 1
        records.append(Record(json.dumps(ticket), truth))
    return CorpusFile("tickets.jsonl", None, tuple(records))


def generate(target_bytes: int, *, seed: int = 20261126) -> tuple[CorpusFile, ...]:
    """Three files of about ``target_bytes`` together, the same for the same seed."""
    values = _Values(random.Random(seed))
    # Measured average record sizes, so the three files come out about equal in size.
    share = target_bytes // 3
    return (
        _events(values, max(1, share // 240)),
        _users(values, max(1, share // 91)),
        _tickets(values, max(1, share // 335)),
    )
