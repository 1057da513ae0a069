"""Offline detectors for the local PII scanner: they count Amazon Macie identifier types in text.

Identifier ids are Macie's managed data identifier ids, taken from the Amazon Macie User Guide,
"Quick reference: Managed data identifiers by type" and the detailed pages for credentials,
financial information and PII (docs.aws.amazon.com/macie/latest/user/mdis-reference-quick.html,
mdis-reference-credentials.html, mdis-reference-financial.html, mdis-reference-pii.html). As
with Macie, a card number near a card keyword is ``CREDIT_CARD_NUMBER`` and one that is not is
``CREDIT_CARD_NUMBER_(NO_KEYWORD)``, and the issuers' published test numbers and the AWS
documentation's example keys are not reported. Where this module departs from Macie, it mostly
reports more, so that a gate fails closed:

* ``AWS_CREDENTIALS``: Macie's identifier is the secret access key, near a keyword. An access
  key id (``AKIA``/``ASIA`` + 16 base-32 characters) is counted under the same id here.
* ``EMAIL_ADDRESS``: Macie has no managed identifier for e-mail addresses; this id is the one
  the other AWS data protection services use for them.
* IBANs of countries Macie does not list (Austria, Belgium, Norway, ...) are reported under the
  same naming scheme (``AUSTRIA_BANK_ACCOUNT_NUMBER``, ...); :data:`MACIE_IDENTIFIERS` leaves
  them and ``EMAIL_ADDRESS`` out.
* ``USA_SOCIAL_SECURITY_NUMBER`` and ``PHONE_NUMBER``: Macie wants a keyword (or, for phones,
  a country code). Here an SSN written ``ddd-dd-dddd`` and a North American number written with
  separators (``(415) 555-2671``, ``415-555-2671``) count without one; bare digit strings still
  need a keyword in proximity, as Macie's do.
* Less than Macie: phone numbers of Brazil, France, Germany, Italy, Spain and the UK are found
  only with their country code (``+44 20 7946 0958``), not in national form near a keyword; BBANs
  (national account numbers) and Canadian and US bank account numbers are not looked for.

Proximity follows Macie's keyword requirements: a keyword within 30 characters of the value and,
in structured text, in the same field: the same CSV/TSV cell or the name of the value's column,
the same JSON string or the name of the key that holds the value.

Speed: text is scanned as bytes in blocks. Instead of one big regular expression (which the
``re`` engine tries at nearly every byte of digit-heavy data), each block gets two cheap views,
``bytes.lower()`` and a *shape* view (every digit becomes ``0``, every capital ``A``, every
small letter ``a``), and each family of identifiers is found by searching for a literal
(``00-0000``, ``000000000``, ``@``, ``-----BEGIN``, a keyword pivoted on one letter...), which
runs at memory speed. Only the few candidates that survive are validated in Python (Luhn, IIN,
mod 97, SSA rules, NANP rules, calendar dates). Nothing keeps the matched values: only counts
leave this module.
"""

from __future__ import annotations

import csv
import functools
import re
import string
import sys
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["IDENTIFIERS", "MACIE_IDENTIFIERS", "TextFormat", "TextScanner", "count_identifiers"]

#: How a text object is laid out; ``csv`` and ``tsv`` make column names count as keywords.
TextFormat = Literal["csv", "tsv", "json", "jsonl", "txt"]

CREDIT_CARD = "CREDIT_CARD_NUMBER"
CREDIT_CARD_NO_KEYWORD = "CREDIT_CARD_NUMBER_(NO_KEYWORD)"
SSN = "USA_SOCIAL_SECURITY_NUMBER"
AWS_CREDENTIALS = "AWS_CREDENTIALS"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
OPENSSH_PRIVATE_KEY = "OPENSSH_PRIVATE_KEY"
PGP_PRIVATE_KEY = "PGP_PRIVATE_KEY"
PKCS = "PKCS"
PUTTY_PRIVATE_KEY = "PUTTY_PRIVATE_KEY"

#: Country calling code -> Macie phone identifier, and how many national digits it may have.
_PHONES: dict[bytes, tuple[str, int, int]] = {
    b"1": ("PHONE_NUMBER", 10, 10),
    b"44": ("UK_PHONE_NUMBER", 9, 10),
    b"33": ("FRANCE_PHONE_NUMBER", 9, 9),
    b"49": ("GERMANY_PHONE_NUMBER", 7, 12),
    b"39": ("ITALY_PHONE_NUMBER", 6, 11),
    b"34": ("SPAIN_PHONE_NUMBER", 9, 9),
    b"55": ("BRAZIL_PHONE_NUMBER", 10, 11),
}
NANP_PHONE = _PHONES[b"1"][0]

#: IBAN length per country (SWIFT IBAN registry) and the Macie id for it.
_IBAN_MACIE: dict[str, tuple[int, str]] = {
    "AD": (24, "ANDORRA"),
    "AE": (23, "UNITED_ARAB_EMIRATES"),
    "AL": (28, "ALBANIA"),
    "BA": (20, "BOSNIA_AND_HERZEGOVINA"),
    "BG": (22, "BULGARIA"),
    "BR": (29, "BRAZIL"),
    "CH": (21, "SWITZERLAND"),
    "CR": (22, "COSTA_RICA"),
    "CY": (28, "CYPRUS"),
    "CZ": (24, "CZECH_REPUBLIC"),
    "DE": (22, "GERMANY"),
    "DK": (18, "DENMARK"),
    "DO": (28, "DOMINICAN_REPUBLIC"),
    "EE": (20, "ESTONIA"),
    "EG": (29, "EGYPT"),
    "ES": (24, "SPAIN"),
    "FI": (18, "FINLAND"),
    "FO": (18, "FAROE_ISLANDS"),
    "FR": (27, "FRANCE"),
    "GB": (22, "UK"),
    "GE": (22, "GEORGIA"),
    "GL": (18, "GREENLAND"),
    "GR": (27, "GREECE"),
    "HR": (21, "CROATIA"),
    "HU": (28, "HUNGARY"),
    "IE": (22, "IRELAND"),
    "IS": (26, "ICELAND"),
    "IT": (27, "ITALY"),
    "JO": (30, "JORDAN"),
    "LI": (21, "LIECHTENSTEIN"),
    "LT": (20, "LITHUANIA"),
    "MC": (27, "MONACO"),
    "ME": (22, "MONTENEGRO"),
    "MK": (19, "NORTH_MACEDONIA"),
    "MR": (27, "MAURITANIA"),
    "MT": (31, "MALTA"),
    "MU": (30, "MAURITIUS"),
    "NL": (18, "NETHERLANDS"),
    "PL": (28, "POLAND"),
    "PT": (25, "PORTUGAL"),
    "RS": (22, "SERBIA"),
    "SE": (24, "SWEDEN"),
    "SI": (19, "SLOVENIA"),
    "SK": (24, "SLOVAKIA"),
    "SM": (27, "SAN_MARINO"),
    "SN": (28, "SENEGAL"),
    "TL": (23, "TIMOR_LESTE"),
    "TN": (24, "TUNISIA"),
    "TR": (26, "TURKIYE"),
    "UA": (29, "UKRAINE"),
    "VG": (24, "VIRGIN_ISLANDS"),
    "XK": (20, "KOSOVO"),
}
#: IBAN countries Macie has no identifier for: named the way Macie names the others.
_IBAN_EXTRA: dict[str, tuple[int, str]] = {
    "AT": (20, "AUSTRIA"),
    "AZ": (28, "AZERBAIJAN"),
    "BE": (16, "BELGIUM"),
    "BH": (22, "BAHRAIN"),
    "BY": (28, "BELARUS"),
    "GI": (23, "GIBRALTAR"),
    "GT": (28, "GUATEMALA"),
    "IL": (23, "ISRAEL"),
    "IQ": (23, "IRAQ"),
    "KW": (30, "KUWAIT"),
    "KZ": (20, "KAZAKHSTAN"),
    "LB": (28, "LEBANON"),
    "LC": (32, "SAINT_LUCIA"),
    "LU": (20, "LUXEMBOURG"),
    "LV": (21, "LATVIA"),
    "LY": (25, "LIBYA"),
    "MD": (24, "MOLDOVA"),
    "NO": (15, "NORWAY"),
    "PK": (24, "PAKISTAN"),
    "PS": (29, "PALESTINE"),
    "QA": (29, "QATAR"),
    "RO": (24, "ROMANIA"),
    "SA": (24, "SAUDI_ARABIA"),
    "SC": (31, "SEYCHELLES"),
    "ST": (25, "SAO_TOME_AND_PRINCIPE"),
    "SV": (28, "EL_SALVADOR"),
    "VA": (22, "VATICAN_CITY"),
}
_IBANS: dict[bytes, tuple[int, str]] = {
    country.encode(): (length, f"{name}_BANK_ACCOUNT_NUMBER")
    for country, (length, name) in {**_IBAN_MACIE, **_IBAN_EXTRA}.items()
}

#: Every identifier id this module can report.
IDENTIFIERS: frozenset[str] = frozenset(
    {
        CREDIT_CARD,
        CREDIT_CARD_NO_KEYWORD,
        SSN,
        AWS_CREDENTIALS,
        DATE_OF_BIRTH,
        EMAIL_ADDRESS,
        OPENSSH_PRIVATE_KEY,
        PGP_PRIVATE_KEY,
        PKCS,
        PUTTY_PRIVATE_KEY,
        *(phone for phone, _, _ in _PHONES.values()),
        *(name for _, name in _IBANS.values()),
    }
)

#: The ids above that are Amazon Macie managed data identifiers; the others (e-mail addresses,
#: IBANs of countries Macie does not list) are this module's own, named in Macie's manner.
MACIE_IDENTIFIERS: frozenset[str] = (
    IDENTIFIERS
    - {EMAIL_ADDRESS}
    - {f"{name}_BANK_ACCOUNT_NUMBER" for _, name in _IBAN_EXTRA.values()}
)

#: Card numbers the issuers reserve for public testing; Macie does not report them.
_TEST_CARDS = frozenset(
    b"122000000000003 2222405343248877 2222990905257051 2223007648726984 2223577120017656 "
    b"30569309025904 34343434343434 3528000700000000 3530111333300000 3566002020360505 "
    b"36148900647913 36700102000000 371449635398431 378282246310005 378734493671000 "
    b"38520000023237 4012888888881881 4111111111111111 4222222222222 4444333322221111 "
    b"4462030000000000 4484070000000000 4911830000000 4917300800000000 4917610000000000 "
    b"4917610000000000003 5019717010103742 5105105105105100 5111010030175156 "
    b"5185540810000019 5200828282828210 5204230080000017 5204740009900014 5420923878724339 "
    b"5454545454545454 5455330760000018 5506900490000436 5506900490000444 5506900510000234 "
    b"5506920809243667 5506922400634930 5506927427317625 5553042241984105 5555553753048194 "
    b"5555555555554444 5610591081018250 6011000990139424 6011000400000000 6011111111111117 "
    b"630490017740292441 630495060000000000 6331101999990016 6759649826438453 "
    b"6799990100000000019".split()
)
#: SSNs that were published (a wallet insert, an SSA leaflet, an advert) or are used as examples.
_SAMPLE_SSNS = frozenset({b"078051120", b"219099999", b"457555462", b"123456789"})
#: The example keys of the AWS documentation; Macie does not report them either.
_EXAMPLE_KEYS = frozenset(
    {
        b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        b"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        b"AKIAIOSFODNN7EXAMPLE",
    }
)
#: Top-level "domains" that are really file extensions (``logo@2x.png``).
_NOT_TLDS = frozenset(
    b"png jpg jpeg gif svg webp bmp ico tif tiff css js map ts py json yaml yml xml html htm "
    b"txt csv tsv md pdf zip gz tar bin exe dll so whl jar".split()
)

PROXIMITY = 30
"""Characters between a keyword and a value that still count as "in proximity" (Macie's)."""
_CONTEXT = 2048
"""Bytes of the previous block kept before and after each block: more than any one match and
its keyword window, so nothing that straddles a block border is lost."""
_BLOCK = 1 << 20
_DELIMITERS: dict[str, bytes] = {"csv": b",", "tsv": b"\t"}
_MONTHS = b"jan feb mar apr may jun jul aug sep oct nov dec".split()


def _shape_table() -> bytes:
    table = bytearray(b"," * 256)
    for byte in b"0123456789":
        table[byte] = ord("0")
    for byte in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[byte] = ord("A")
    for byte in b"abcdefghijklmnopqrstuvwxyz_":
        table[byte] = ord("a")
    for byte in b" -.":
        table[byte] = ord("-")
    for byte in b"(+":
        table[byte] = ord("+")
    return bytes(table)


#: digit -> ``0``, capital -> ``A``, small letter or ``_`` -> ``a``, space, hyphen and full
#: stop (the separators of digit groups) -> ``-``, ``(`` and ``+`` -> ``+``, anything else
#: -> ``,``.
_SHAPE = _shape_table()

# --- searched for in the shape view ---
#: Nine digits in a row: the start of a bare card number, SSN or phone number.
_RUN_NEEDLE = b"000000000"
_ZEROS = re.compile(rb"0*")
#: In every grouped form below (``ddd-dd-dddd``, ``ddd-ddd-dddd``, ``dddd dddd dddd dddd``,
#: ``dddd dddddd ddddd``) but not in a date (``dddd-dd-dd``): first found 4, 5 and 2 bytes in.
_GROUP_NEEDLE = b"00-0000"
_GROUPS = re.compile(
    rb"(?:000-00-0000|000-000-0000|0000-0000-0000-0{1,7}|0000-000000-0{4,5})(?![0Aa]|-0)"
)
#: ``+`` or ``(`` before a digit: international phone numbers and ``(415) 555-2671``.
_PLUS = re.compile(rb"\+(?<![0Aa+]\+)0")
_IBAN_START = re.compile(rb"AA00(?<![0Aa]AA00)")

# --- patterns over the original bytes, tried where a candidate starts ---
_INTERNATIONAL = re.compile(
    rb"\+(1|44|33|49|39|34|55)(?:[ .-]?\(0\))?((?:[ .-]?\(?\d{1,5}\)?){1,6})"
)
_PAREN_PHONE = re.compile(rb"\(([2-9]\d\d)\) ?([2-9]\d\d)([ .-]?)(\d{4})(?![\w]|[.-]\d)")
_IBAN = re.compile(rb"([A-Z]{2})(\d\d)((?:[ -]?[A-Z0-9]{1,4}){1,9})")
_AFTER_VALUE = re.compile(rb"[\w]|[.-]\d")
_DIGIT_GROUP = re.compile(rb"\d+")
_EMAIL_DOMAIN = re.compile(
    rb"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24}))(?![A-Za-z0-9-])"
)
#: Matched on the 64 bytes before the ``@``, reversed: the local part is the longest run of these
#: characters that ends at the ``@``, and a forward search would retry it from every byte.
_EMAIL_LOCAL_REVERSED = re.compile(rb"[A-Za-z0-9._%+-]{1,64}")
_PEM = re.compile(rb"-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY( BLOCK)?-----")
#: After a PEM header: line breaks (real or JSON-escaped), optional ``Name: value`` header
#: lines, then base64.
_PEM_BODY = re.compile(
    rb"(?:\s|\\[rn])+(?:[A-Za-z][A-Za-z-]*: [^\r\n\\]*(?:\s|\\[rn])+)*([A-Za-z0-9+/]{32})"
)
_PEM_NEEDLE = b"-----BEGIN "
_PUTTY_NEEDLE = b"PuTTY-User-Key-File-"
_OPENSSH_MAGIC = b"b3BlbnNzaC1rZXktdjE"  # base64 of "openssh-key-v1\0"
_PUTTY = re.compile(
    rb"PuTTY-User-Key-File-[23]: (?:ssh-rsa|ssh-dss|ssh-ed25519|ssh-ed448|"
    rb"ecdsa-sha2-nistp(?:256|384|521))(?:\s|\\[rn])+(?:[^\r\n\\]*(?:\s|\\[rn])+)?Encryption: "
)
_ACCESS_KEY_ID = re.compile(rb"A(?:KI|SI)A[A-Z2-7]{16}(?![A-Za-z0-9/+=])")
_SECRET = re.compile(rb"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_HEX = re.compile(rb"[0-9a-f]{40}|[0-9A-F]{40}")
_DATE = re.compile(
    rb"(?<![\w/.-])(?:"
    rb"((?:19|20)\d\d)([-/. ])(0?[1-9]|1[0-2])\2(0?[1-9]|[12]\d|3[01])"
    rb"|(\d{1,2})([-/. ])(\d{1,2})\6((?:19|20)\d\d)"
    rb"|((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"
    rb"|(\d{1,2})(?:st|nd|rd|th)?[ -]([a-z]{3})[a-z]*\.?,?[ -]((?:19|20)\d\d)"
    rb"|([a-z]{3})[a-z]*\.?[ -](\d{1,2})(?:st|nd|rd|th)?,?[ -]((?:19|20)\d\d)"
    rb")(?!(?!T\d)\w|[/.-]\d)",
    re.IGNORECASE,
)

# --- keywords, searched in the lower-cased view ---
#: Pivoted on one letter so that ``re`` can search for a literal: dob, birth, born, bday.
_DOB_KEYWORD = re.compile(rb"b(?:(?<=dob)(?<![a-z]dob)(?![a-z])|irth|orn(?![a-z])|-?day(?![a-z]))")
#: Pivoted on the "cre" both words have (a "c" alone is too common): secret, credential(s).
_AWS_KEYWORD = re.compile(rb"cre(?:(?<=secre)t|dentials?)")
_AWS_SECRET_KEY = re.compile(rb"[ _-]?(?:access[ _-]?)?key")
_SSN_KEYWORD = re.compile(rb"(?<![a-z])ssn(?![a-z])|social[ _-]?security|ss#")
_PHONE_KEYWORD = re.compile(rb"(?<![a-z])(?:cell|contact|fax|mobile|tel)(?![a-z])|phone")
_CARD_KEYWORD = re.compile(
    rb"(?<![a-z])(?:cc|ccn|pan|pcn|mc|jcb|amex|visa|pmnt)(?![a-z])|card|credit|debit"
    rb"|american express|discover|diners|union ?pay|dankort|electron|payment"
)
#: Between a key name and its value in JSON: the rest of the key, ``:``, maybe ``[`` or nested
#: ``{"name":``, and the value's opening quote.
_JSON_KEY_GAP = re.compile(rb'[^"\n]*"\s*:\s*(?:[\[{]\s*(?:"[^"\n]*"\s*:\s*)?)*"?')
_KEYWORD_REACH = 24
"""Longest keyword match above: how far before a window a keyword may start and still end in
it."""

#: Column-name keywords (CSV, TSV): which identifier types a column's values are close to.
_COLUMN_KEYWORDS: dict[str, re.Pattern[bytes]] = {
    "dob": re.compile(rb"(?<![a-z])dob(?![a-z])|birth|(?<![a-z])(?:b-?day|born)(?![a-z])"),
    "aws": re.compile(rb"secret[ _-]?(?:access[ _-]?)?key|aws[ _-]?secret|credentials?"),
    "ssn": _SSN_KEYWORD,
    "phone": _PHONE_KEYWORD,
    "card": _CARD_KEYWORD,
}


def _luhn(digits: bytes) -> bool:
    total = 0
    double = False
    for char in reversed(digits):
        value = char - 48
        if double:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
        double = not double
    return total % 10 == 0


def _card_network(digits: bytes) -> bool:
    """A prefix and a length that one of the networks Macie lists issues."""
    length = len(digits)
    if digits[0] == 52:  # "4": Visa, Visa Electron
        return length in (13, 16, 19)
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if two in (34, 37):
        return length == 15
    if 51 <= two <= 55 or 2221 <= four <= 2720 or four == 5019:  # Mastercard, Dankort
        return length == 16
    if four == 6011 or two in (62, 65) or 644 <= three <= 649 or 3528 <= four <= 3589:
        return 16 <= length <= 19  # Discover, UnionPay, JCB
    if 300 <= three <= 305 or four == 3095 or two in (36, 38, 39):  # Diners Club
        return 14 <= length <= 19
    return False


def _valid_card(digits: bytes) -> bool:
    return _card_network(digits) and digits not in _TEST_CARDS and _luhn(digits)


def _valid_ssn(digits: bytes) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return (
        area not in (b"000", b"666")
        and area[0] != 57  # 9xx: never issued as SSNs (ITINs and adverts live there)
        and group != b"00"
        and serial != b"0000"
        and digits not in _SAMPLE_SSNS
        and digits.count(digits[:1]) != len(digits)
    )


def _valid_nanp(digits: bytes) -> bool:
    """A North American number: area code and exchange start 2-9 and are not N11."""
    return (
        len(digits) == 10
        and digits[0] >= 50
        and digits[3] >= 50
        and digits[1:3] != b"11"
        and digits[4:6] != b"11"
    )


def _valid_iban(compact: bytes) -> str | None:
    known = _IBANS.get(compact[:2])
    if known is None or len(compact) != known[0] or not compact[4:].isalnum():
        return None
    rearranged = (compact[4:] + compact[:4]).decode()
    if int(rearranged.translate(_IBAN_NUMBERS)) % 97 != 1:
        return None
    return known[1]


#: ISO 13616 check: letters count as 10 (A) to 35 (Z).
_IBAN_NUMBERS = {ord(letter): str(10 + i) for i, letter in enumerate(string.ascii_uppercase)}


@functools.lru_cache(maxsize=32)
def _iban_body(length: int) -> re.Pattern[bytes]:
    """Exactly ``length`` letters and digits, each group maybe after a space or hyphen."""
    return re.compile(rb"(?:[ -]?[A-Z0-9]){%d}" % length)


def _valid_secret(token: bytes) -> bool:
    """40 base64 characters with both cases, and not a hex digest."""
    return (
        token not in _EXAMPLE_KEYS
        and _HEX.fullmatch(token) is None
        and token.lower() != token
        and token.upper() != token
    )


def _valid_date(match: re.Match[bytes]) -> bool:
    """A real calendar date, not in the future and not before 1900."""
    groups = match.groups()
    if groups[0] is not None:
        candidates = [(groups[0], groups[2], groups[3])]
    elif groups[4] is not None:
        first, second = groups[4], groups[6]
        candidates = [(groups[7], first, second), (groups[7], second, first)]
    elif groups[8] is not None:
        candidates = [(groups[8], groups[9], groups[10])]
    else:
        day, name, year = (
            (groups[11], groups[12], groups[13])
            if groups[11] is not None
            else (groups[15], groups[14], groups[16])
        )
        number = _MONTHS.index(name.lower()) + 1 if name.lower() in _MONTHS else 0
        candidates = [(year, str(number).encode(), day)]
    today = date.today()
    for year, month, day in candidates:
        try:
            when = date(int(year), int(month), int(day))
        except ValueError:
            continue
        if date(1900, 1, 1) <= when <= today:
            return True
    return False


_POSSESSIVE = b"+" if sys.version_info >= (3, 11) else b""


@functools.lru_cache(maxsize=64)
def _column_pattern(delimiter: bytes, index: int) -> re.Pattern[bytes]:
    """The value of column ``index`` on every line (quoted cells allowed before it)."""
    d = re.escape(delimiter)
    # Possessive: a line splits into cells one way only, so giving back characters can never
    # lead to another match; it only makes ``re`` slow on every line whose cell is empty.
    # (Python 3.10's ``re`` has no possessive quantifiers: the same pattern, backtracking.)
    cell = rb'(?:"(?:[^"\n]|"")*' + _POSSESSIVE + rb'"|[^' + d + rb'"\n]*' + _POSSESSIVE + rb")"
    # Anchored on the newline rather than ``^``, so that ``re`` jumps from line to line.
    return re.compile(
        rb"\n(?:" + cell + d + rb"){" + str(index).encode() + rb'}[ "]*([^' + d + rb'"\n]+)'
    )


class _Block:
    """One block of text and its views; finds identifiers that start in ``[start, end)``."""

    def __init__(
        self,
        data: bytes,
        start: int,
        end: int,
        *,
        at_stream_start: bool,
        text_format: TextFormat,
        columns: dict[str, frozenset[int]],
    ) -> None:
        self.data, self.start, self.end = data, start, end
        self.at_stream_start = at_stream_start
        self.format, self.columns = text_format, columns
        self.delimiter = _DELIMITERS.get(text_format)
        self.lower = data.lower()
        self.shape = data.translate(_SHAPE)
        self.counts: Counter[str] = Counter()
        self.seen: set[tuple[str, int]] = set()

    def scan(self) -> Counter[str]:
        self._runs()
        self._grouped()
        self._plus()
        self._ibans()
        self._emails()
        self._keys()
        self._dates()
        self._secrets()
        return self.counts

    # -- helpers ---------------------------------------------------------------------------

    def _owned(self, position: int) -> bool:
        return self.start <= position < self.end

    def _ends_cleanly(self, end: int) -> bool:
        return _AFTER_VALUE.match(self.data, end) is None

    def _count(self, identifier: str, position: int) -> None:
        key = (identifier, position)
        if key not in self.seen:
            self.seen.add(key)
            self.counts[identifier] += 1

    def _near(self, keyword: re.Pattern[bytes], start: int, end: int) -> bool:
        """A keyword in proximity of ``data[start:end]``."""
        low = max(0, start - PROXIMITY - _KEYWORD_REACH)
        high = end + PROXIMITY + _KEYWORD_REACH
        return any(
            self._close(hit.start(), hit.end(), start, end)
            for hit in keyword.finditer(self.lower, low, high)
        )

    def _close(self, keyword_start: int, keyword_end: int, start: int, end: int) -> bool:
        """Whether a keyword is in proximity of a value, as Macie has it: within
        :data:`PROXIMITY` characters and, in structured text, in the same field: the same cell
        of a CSV/TSV line, or in JSON the same string or the name of the key holding it."""
        if keyword_end <= start:
            gap, keyword_first = self.data[keyword_end:start], True
        elif keyword_start >= end:
            gap, keyword_first = self.data[end:keyword_start], False
        else:
            return True
        if len(gap) > PROXIMITY:
            return False
        if self.format == "txt":
            return True
        if b"\n" in gap:
            return False
        if self.delimiter is not None:
            return self.delimiter not in gap
        return b'"' not in gap or (keyword_first and _JSON_KEY_GAP.fullmatch(gap) is not None)

    def _column(self, position: int) -> int | None:
        """The CSV/TSV column ``position`` is in, or ``None`` when that cannot be told."""
        assert self.delimiter is not None
        line = self.data.rfind(b"\n", 0, position) + 1
        if line == 0 and not self.at_stream_start:
            return None
        if self.data.find(b'"', line, position) < 0:
            return self.data.count(self.delimiter, line, position)
        prefix = self.data[line:position].decode("utf-8", "replace")
        cells = next(csv.reader([prefix], delimiter=self.delimiter.decode()), [""])
        return len(cells) - 1

    def _in_column(self, kind: str, position: int) -> bool:
        wanted = self.columns.get(kind)
        return wanted is not None and bool(wanted) and self._column(position) in wanted

    def _keyword(self, kind: str, keyword: re.Pattern[bytes], start: int, end: int) -> bool:
        return self._near(keyword, start, end) or self._in_column(kind, start)

    # -- families -----------------------------------------------------------------------------

    def _runs(self) -> None:
        """Bare digit strings: card numbers; SSNs and phone numbers near a keyword."""
        data, shape = self.data, self.shape
        find, zeros = shape.find, _ZEROS.match
        limit = self.end + len(_RUN_NEEDLE) - 1
        found = find(_RUN_NEEDLE, self.start, limit)
        while found >= 0:
            start = found
            # Most candidates are rejected before their run is measured. The search then goes
            # on from inside the run, and can only find the rest of a long run: not alone.
            # Alone: not inside a word or a longer number, not the digits of a decimal.
            if shape[start - 1 : start] in (b"0", b"A", b"a") or data[start - 1 : start] == b".":
                found = find(_RUN_NEEDLE, start + len(_RUN_NEEDLE), limit)
                continue
            # Most long numbers in data are ids, not cards (a card starts with 2-6), and 11 or
            # more digits are none of the others.
            if not 50 <= data[start] <= 54 and shape[start + 9 : start + 11] == b"00":
                found = find(_RUN_NEEDLE, start + 11, limit)
                continue
            run = zeros(shape, start + len(_RUN_NEEDLE))
            assert run is not None  # ``0*`` always matches
            end = run.end()
            found = find(_RUN_NEEDLE, end, limit)
            length = end - start
            # 11, 12 or 20+ digits are none of these.
            if length > 10 and not (length <= 19 and 50 <= data[start] <= 54):
                continue
            if _AFTER_VALUE.match(data, end):
                continue
            digits = data[start:end]
            if length >= 13:
                if _valid_card(digits):
                    self._card(start, end)
            elif length == 9:
                if _valid_ssn(digits) and self._keyword("ssn", _SSN_KEYWORD, start, end):
                    self._count(SSN, start)
            elif _valid_nanp(digits) and self._keyword("phone", _PHONE_KEYWORD, start, end):
                self._count(NANP_PHONE, start)

    def _card(self, start: int, end: int) -> None:
        keyword = self._keyword("card", _CARD_KEYWORD, start, end)
        self._count(CREDIT_CARD if keyword else CREDIT_CARD_NO_KEYWORD, start)

    def _grouped(self) -> None:
        """Digits in groups: ``ddd-dd-dddd``, ``ddd-ddd-dddd``, ``dddd dddd dddd dddd``."""
        data, shape = self.data, self.shape
        limit = self.end + len(_GROUP_NEEDLE) + 5
        found = shape.find(_GROUP_NEEDLE, self.start, limit)
        while found >= 0:
            if shape[found - 1] == 45:  # "-": ddd-dd-dddd
                start = found - 4
            elif shape[found - 2] == 45:  # ddd-ddd-dddd
                start = found - 5
            else:  # dddd-dddd-..., dddd-dddddd-...
                start = found - 2
            match = _GROUPS.match(shape, start) if start >= 0 else None
            # Alone: not inside a word or a longer number (``+1 415 555 2671`` is found as an
            # international number, not as ``415 555 2671``).
            if (
                match is None
                or shape[start - 1 : start] in (b"0", b"A", b"a", b"+")
                or shape[max(0, start - 2) : start] == b"0-"
                or data[start - 1 : start] == b"."
            ):
                found = shape.find(_GROUP_NEEDLE, found + 1, limit)
                continue
            end = match.end()
            found = shape.find(_GROUP_NEEDLE, end, limit)
            if not self._owned(start):
                continue
            text = data[start:end]
            separators = text.translate(None, b"0123456789")
            separator = separators[:1]
            if separators.count(separator) != len(separators):
                continue
            digits = text.translate(None, separator)
            if len(digits) == 10:
                if _valid_nanp(digits):
                    self._count(NANP_PHONE, start)
            elif separator == b".":
                continue
            elif len(digits) == 9:
                if _valid_ssn(digits):
                    self._count(SSN, start)
            elif _valid_card(digits):
                self._card(start, end)

    def _plus(self) -> None:
        """``+44 20 7946 0958`` and ``(415) 555-2671``."""
        data = self.data
        for match in _PLUS.finditer(self.shape, self.start):
            start = match.start()
            if start >= self.end:
                break
            if data[start] == 40:  # "("
                paren = _PAREN_PHONE.match(data, start)
                if paren and _valid_nanp(paren[1] + paren[2] + paren[4]):
                    self._count(NANP_PHONE, start)
                continue
            phone = _INTERNATIONAL.match(data, start)
            if phone is not None:
                identifier = self._international(phone)
                if identifier is not None:
                    self._count(identifier, start)

    def _international(self, match: re.Match[bytes]) -> str | None:
        """The phone id for ``+<code> <number>``; a trailing group of digits that belongs to
        the next value is given back until the number has a valid length."""
        code = match[1]
        identifier, shortest, longest = _PHONES[code]
        groups = list(_DIGIT_GROUP.finditer(match[2]))
        while groups:
            national = b"".join(group[0] for group in groups)
            if (
                self._ends_cleanly(match.start(2) + groups[-1].end())
                and shortest <= len(national) <= longest
                # Italian numbers keep their leading 0 after the country code; others drop it.
                and (national[0] != 48 or code == b"39")
                and (code != b"1" or _valid_nanp(national))
            ):
                return identifier
            groups.pop()
        return None

    def _ibans(self) -> None:
        data = self.data
        for match in _IBAN_START.finditer(self.shape, self.start):
            start = match.start()
            if start >= self.end:
                break
            iban = _IBAN.match(data, start)
            if iban is None:
                continue
            known = _IBANS.get(iban[1])
            if known is None:
                continue
            # Take exactly the country's length, ending at a separator or after the value, so
            # "DE89 3704 0044 0532 0130 00 EUR" is read as the IBAN and the word after it.
            body = _iban_body(known[0] - 4).match(data, iban.start(3), iban.end(3))
            if body is None or not self._ends_cleanly(body.end()):
                continue
            compact = iban[1] + iban[2] + body[0].translate(None, b" -")
            identifier = _valid_iban(compact)
            if identifier is not None:
                self._count(identifier, start)

    def _emails(self) -> None:
        data = self.data
        for domain in _EMAIL_DOMAIN.finditer(data, self.start):
            position = domain.start()
            if position >= self.end:
                break
            if domain[2].lower() in _NOT_TLDS:
                continue
            local = _EMAIL_LOCAL_REVERSED.match(data[max(0, position - 64) : position][::-1])
            if local is not None:
                text = local[0][::-1].lstrip(b".")
                if text and not text.endswith(b".") and b".." not in text:
                    self._count(EMAIL_ADDRESS, position)

    def _keys(self) -> None:
        data = self.data
        position = data.find(_PEM_NEEDLE, self.start, self.end + len(_PEM_NEEDLE) - 1)
        while position >= 0:
            header = _PEM.match(data, position)
            if header is not None:
                body = _PEM_BODY.match(data, header.end())
                label, block = header[1], header[2] is not None
                if body is not None:
                    if label == b"OPENSSH ":
                        if not block and data.startswith(_OPENSSH_MAGIC, body.start(1)):
                            self._count(OPENSSH_PRIVATE_KEY, position)
                    elif label == b"PGP ":
                        if block:
                            self._count(PGP_PRIVATE_KEY, position)
                    elif not block:
                        self._count(PKCS, position)
            position = data.find(_PEM_NEEDLE, position + 1, self.end + len(_PEM_NEEDLE) - 1)
        position = data.find(_PUTTY_NEEDLE, self.start, self.end + len(_PUTTY_NEEDLE) - 1)
        while position >= 0:
            if _PUTTY.match(data, position):
                self._count(PUTTY_PRIVATE_KEY, position)
            position = data.find(_PUTTY_NEEDLE, position + 1, self.end + len(_PUTTY_NEEDLE) - 1)
        for key in _ACCESS_KEY_ID.finditer(data, self.start):
            position = key.start()
            if position >= self.end:
                break
            before = data[position - 1 : position]
            if before and (before.isalnum() or before in b"/+"):
                continue
            if key[0] not in _EXAMPLE_KEYS:
                self._count(AWS_CREDENTIALS, position)

    def _dates(self) -> None:
        """Dates of birth: dates near a birth keyword, or in a column named like one."""
        self._near_keyword(_DOB_KEYWORD, _DATE, DATE_OF_BIRTH, self._is_dob_keyword, _valid_date)
        self._in_columns("dob", _DATE, DATE_OF_BIRTH, _valid_date)

    def _is_dob_keyword(self, match: re.Match[bytes]) -> bool:
        start = match.start()
        if self.lower[start : start + 1] == b"b" and match.end() - start == 1:  # "dob"
            return True
        before = self.lower[start - 1 : start]
        # "born", "bday": whole words ("osborne" is not one); "birth" anywhere in a name.
        return self.lower[start + 1 : start + 2] == b"i" or not before.isalpha()

    def _secrets(self) -> None:
        """AWS secret access keys: 40 base64 characters near an AWS credentials keyword."""
        self._near_keyword(
            _AWS_KEYWORD, _SECRET, AWS_CREDENTIALS, self._is_aws_keyword, _valid_secret_match
        )
        self._in_columns("aws", _SECRET, AWS_CREDENTIALS, _valid_secret_match)

    def _is_aws_keyword(self, match: re.Match[bytes]) -> bool:
        if match.end() - match.start() > len(b"cret"):  # "credential(s)", not "secret"
            return True
        # "secret" counts in "aws_secret..." and in "secret key", "secret_access_key", ...
        start = match.start() - 2  # the match is pivoted on the "c" of "secret"
        return (
            self.lower[max(0, start - 4) : start].rstrip(b" _-").endswith(b"aws")
            or _AWS_SECRET_KEY.match(self.lower, match.end()) is not None
        )

    def _near_keyword(
        self,
        keyword: re.Pattern[bytes],
        value: re.Pattern[bytes],
        identifier: str,
        is_keyword: Callable[[re.Match[bytes]], bool],
        valid: Callable[[re.Match[bytes]], bool],
    ) -> None:
        """Values of ``value`` within :data:`PROXIMITY` characters of a keyword."""
        reach = PROXIMITY + 64  # the longest value plus the proximity
        for hit in keyword.finditer(self.lower, max(0, self.start - reach), self.end + reach):
            if not is_keyword(hit):
                continue
            low, high = max(0, hit.start() - reach), hit.end() + reach
            for found in value.finditer(self.data, low, high):
                start, end = found.span()
                near = self._close(hit.start(), hit.end(), start, end)
                if near and self._owned(start) and valid(found):
                    self._count(identifier, start)

    def _in_columns(
        self,
        kind: str,
        value: re.Pattern[bytes],
        identifier: str,
        valid: Callable[[re.Match[bytes]], bool],
    ) -> None:
        """Values of ``value`` that fill a cell of a column whose name is a keyword."""
        if not self.columns.get(kind) or self.delimiter is None:
            return
        for index in self.columns[kind]:
            pattern = _column_pattern(self.delimiter, index)
            for cell in pattern.finditer(self.data):
                start = cell.start(1)
                if not self._owned(start):
                    continue
                found = value.match(self.data, start, cell.end(1))
                if found is not None and found.end() >= cell.end(1) - 1 and valid(found):
                    self._count(identifier, start)


def _valid_secret_match(match: re.Match[bytes]) -> bool:
    return _valid_secret(match[0])


def _header_columns(line: bytes, delimiter: bytes) -> dict[str, frozenset[int]]:
    """Which columns of a CSV/TSV header are named with a keyword of each kind."""
    names = next(csv.reader([line.decode("utf-8", "replace")], delimiter=delimiter.decode()), [])
    lowered = [name.strip().lower().encode() for name in names]
    return {
        kind: frozenset(i for i, name in enumerate(lowered) if pattern.search(name))
        for kind, pattern in _COLUMN_KEYWORDS.items()
    }


class TextScanner:
    """Counts identifiers in a text object fed to it piece by piece, in pieces of any size.

    Text is scanned in blocks of ``block_bytes``; each block is scanned together with
    :data:`_CONTEXT` bytes of its neighbours, and a value is counted by the block its first
    byte belongs to, so a value split across two pieces is counted once.
    """

    def __init__(self, text_format: TextFormat = "txt", *, block_bytes: int = _BLOCK) -> None:
        self._format: TextFormat = text_format
        self._delimiter = _DELIMITERS.get(text_format)
        self._block_bytes = max(block_bytes, 1)
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._carry = b""
        self._owned_from = 0
        self._at_stream_start = True
        self._columns: dict[str, frozenset[int]] | None = None
        self._counts: Counter[str] = Counter()
        self._finished = False

    def feed(self, data: bytes) -> None:
        """Add the next piece of the object (before :meth:`finish`)."""
        if data:
            self._pending.append(data)
            self._pending_size += len(data)
            if self._pending_size >= self._block_bytes:
                self._scan(final=False)

    def finish(self) -> dict[str, int]:
        """Scan what is left; the count of each identifier found (only those found)."""
        if not self._finished:
            self._scan(final=True)
            self._finished = True
        return dict(self._counts)

    def _scan(self, *, final: bool) -> None:
        data = self._carry + b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        end = len(data) if final else max(self._owned_from, len(data) - _CONTEXT)
        if self._columns is None and self._delimiter is not None:
            newline = data.find(b"\n")
            if self._at_stream_start and (newline >= 0 or final):
                header = data[: newline if newline >= 0 else len(data)]
                self._columns = _header_columns(header.lstrip(b"\xef\xbb\xbf"), self._delimiter)
            elif not self._at_stream_start:
                self._columns = {}
        block = _Block(
            data,
            self._owned_from,
            end,
            at_stream_start=self._at_stream_start,
            text_format=self._format,
            columns=self._columns or {},
        )
        self._counts.update(block.scan())
        keep_from = max(0, end - _CONTEXT)
        self._carry = data[keep_from:]
        self._owned_from = end - keep_from
        self._at_stream_start = self._at_stream_start and keep_from == 0


def count_identifiers(data: bytes, text_format: TextFormat = "txt") -> dict[str, int]:
    """How many of each identifier ``data`` holds (a whole text object, already decompressed)."""
    scanner = TextScanner(text_format)
    scanner.feed(data)
    return scanner.finish()
