"""The local detectors, value by value: labelled positives and the near misses next to them."""

from __future__ import annotations

import pytest

from safeai.pii._detectors import (
    IDENTIFIERS,
    MACIE_IDENTIFIERS,
    TextFormat,
    TextScanner,
    count_identifiers,
)

NO_KEYWORD = "CREDIT_CARD_NUMBER_(NO_KEYWORD)"
CARD = "CREDIT_CARD_NUMBER"
SSN = "USA_SOCIAL_SECURITY_NUMBER"
PHONE = "PHONE_NUMBER"
AWS = "AWS_CREDENTIALS"
DOB = "DATE_OF_BIRTH"
EMAIL = "EMAIL_ADDRESS"

VISA = "4539148803436467"  # valid Luhn, Visa prefix and length
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKQ"  # 40 base64 characters, both cases
SHA1 = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"
OPENSSH_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz"
RSA_BODY = "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi2nXrKBn0vVmEpsWzZ1KCUwp"


def found(text: str, text_format: TextFormat = "txt") -> dict[str, int]:
    return count_identifiers(text.encode(), text_format)


POSITIVES = [
    # Cards: Luhn, a prefix one of the networks issues, and a length it issues.
    (f"x {VISA} y", {NO_KEYWORD: 1}),
    ("order 4661318609133 shipped", {NO_KEYWORD: 1}),  # Visa, 13 digits
    ("4909960308246281946", {NO_KEYWORD: 1}),  # Visa, 19 digits
    ("5412750933182637", {NO_KEYWORD: 1}),  # Mastercard 51-55
    ("2221786579754329", {NO_KEYWORD: 1}),  # Mastercard 2221-2720
    ("373194875749111", {NO_KEYWORD: 1}),  # American Express
    ("6011862527601899", {NO_KEYWORD: 1}),  # Discover
    ("3530555979711476", {NO_KEYWORD: 1}),  # JCB
    ("36104974650754", {NO_KEYWORD: 1}),  # Diners Club
    ("622917034236671279", {NO_KEYWORD: 1}),  # UnionPay
    ("paid by card 4539 1488 0343 6467", {CARD: 1}),
    ("Visa: 4539-1488-0343-6467", {CARD: 1}),
    ("amex 3731 948757 49111", {CARD: 1}),
    # SSNs: written as ddd-dd-dddd anywhere, bare only near a keyword.
    ("id 536-22-1934", {SSN: 1}),
    ("id 536 22 1934", {SSN: 1}),
    ("ssn: 536221934", {SSN: 1}),
    ("Social Security Number 536221934", {SSN: 1}),
    # Phones: North American numbers with separators; others with their country code.
    ("call (415) 555-2671 today", {PHONE: 1}),
    ("call 415-555-2671", {PHONE: 1}),
    ("call 415.555.2671", {PHONE: 1}),
    ("call +1 415 555 2671", {PHONE: 1}),
    ("call +1-415-555-2671", {PHONE: 1}),
    ("phone: 4155552671", {PHONE: 1}),
    ("+44 7911 123456", {"UK_PHONE_NUMBER": 1}),
    ("+44 (0)20 7946 0958", {"UK_PHONE_NUMBER": 1}),
    ("+33 6 12 34 56 78", {"FRANCE_PHONE_NUMBER": 1}),
    ("+49 151 2345 6789", {"GERMANY_PHONE_NUMBER": 1}),
    ("+39 06 1234 5678", {"ITALY_PHONE_NUMBER": 1}),
    ("+34 612 345 678", {"SPAIN_PHONE_NUMBER": 1}),
    ("+55 11 91234 5678", {"BRAZIL_PHONE_NUMBER": 1}),
    # IBANs: the country's length and mod 97, with or without separators.
    ("DE89370400440532013000", {"GERMANY_BANK_ACCOUNT_NUMBER": 1}),
    ("IBAN DE89 3704 0044 0532 0130 00 EUR", {"GERMANY_BANK_ACCOUNT_NUMBER": 1}),
    ("GB29-NWBK-6016-1331-9268-19", {"UK_BANK_ACCOUNT_NUMBER": 1}),
    ("FR1420041010050500013M02606", {"FRANCE_BANK_ACCOUNT_NUMBER": 1}),
    ("BE68 5390 0754 7034", {"BELGIUM_BANK_ACCOUNT_NUMBER": 1}),
    ("NO9386011117947", {"NORWAY_BANK_ACCOUNT_NUMBER": 1}),
    # E-mail addresses.
    ("write to jane.doe+ml@mail.example.co.uk.", {EMAIL: 1}),
    ("<a href='mailto:OPS_team@Example.COM'>", {EMAIL: 1}),
    # AWS: access key ids anywhere; secret access keys near a keyword.
    ("AKIAJQ5ZXK7WBTYNP4GD", {AWS: 1}),
    ("id=ASIAJQ5ZXK7WBTYNP4GD;", {AWS: 1}),
    (f"aws_secret_access_key = {SECRET}", {AWS: 1}),
    (f"SecretAccessKey: {SECRET}", {AWS: 1}),
    (f"secret key {SECRET}", {AWS: 1}),
    (f"[default]\ncredentials\n{SECRET}", {AWS: 1}),
    # Dates of birth: a valid date near a birth keyword.
    ("dob: 1985-03-12", {DOB: 1}),
    ("DOB 03/12/1985", {DOB: 1}),
    ("Date of birth: 31.12.1985", {DOB: 1}),
    ("born on March 12, 1985", {DOB: 1}),
    ("birthday 12th Mar 1985", {DOB: 1}),
    ("b-day: 19850312", {DOB: 1}),
    # Private keys: one per key, whatever its length.
    (f"-----BEGIN RSA PRIVATE KEY-----\n{RSA_BODY}\n-----END", {"PKCS": 1}),
    (f"-----BEGIN EC PRIVATE KEY-----\r\n{RSA_BODY}", {"PKCS": 1}),
    (f"-----BEGIN PRIVATE KEY-----\n{RSA_BODY}", {"PKCS": 1}),
    (f"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{RSA_BODY}", {"PKCS": 1}),
    (
        f"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0F\n\n"
        f"{RSA_BODY}",
        {"PKCS": 1},
    ),
    (f"-----BEGIN OPENSSH PRIVATE KEY-----\n{OPENSSH_BODY}\n", {"OPENSSH_PRIVATE_KEY": 1}),
    (
        f"-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n{RSA_BODY}",
        {"PGP_PRIVATE_KEY": 1},
    ),
    ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n", {"PUTTY_PRIVATE_KEY": 1}),
    ("PuTTY-User-Key-File-2: ssh-rsa\r\nEncryption: aes256-cbc\r\n", {"PUTTY_PRIVATE_KEY": 1}),
]

NEGATIVES = [
    ("4539148803436468", "fails the Luhn check"),
    ("4111111111111111", "a test number the issuers publish"),
    ("9684268465632120", "passes Luhn, but no network issues 9"),
    ("5821993518190931", "passes Luhn, but 58 is not a Mastercard prefix"),
    ("423307924402686", "passes Luhn, but Visa has no 15-digit numbers"),
    (f"{VISA}0000", "inside a longer number"),
    (f"x{VISA}", "inside a word"),
    (f"0.{VISA}", "the decimals of a number"),
    ("4539 1488-0343 6467", "mixed separators"),
    ("000-22-1934", "SSN area 000"),
    ("666-22-1934", "SSN area 666"),
    ("912-22-1934", "SSN area 9xx"),
    ("536-00-1934", "SSN group 00"),
    ("536-22-0000", "SSN serial 0000"),
    ("078-05-1120", "the Woolworth wallet SSN"),
    ("123-45-6789", "the example SSN"),
    ("536-22 1934", "mixed separators"),
    ("id 536221934", "nine bare digits with no keyword"),
    ("ts 4155552671", "ten bare digits with no keyword"),
    ("(115) 555-2671", "area codes do not start with 1"),
    ("415-911-2671", "exchanges are not N11"),
    ("+1 415 555 267", "too short for a North American number"),
    ("+44 7946 09", "too short for a UK number"),
    ("UTC+05:30", "a time zone"),
    ("v1.415.555.2671", "part of a version string"),
    ("2024-03-12 and 2024-2025", "dates and year ranges"),
    ("DE88370400440532013000", "IBAN with wrong check digits"),
    ("DE8937040044053201300", "IBAN one character short"),
    ("XX89370400440532013000", "not a country"),
    ("DE89370400440532013000123", "followed by more digits"),
    ("logo@2x.png", "a file name"),
    ("root@localhost", "no top-level domain"),
    ("jane..doe@example.com", "two dots in a row"),
    ("AKIAJQ5ZXK7WBTYNP4G", "access key id one character short"),
    ("AKIAJQ5ZXK7WBTYNP4GDX", "access key id one character long"),
    ("AKIAIOSFODNN7EXAMPLE", "the documentation's example key"),
    ("xAKIAJQ5ZXK7WBTYNP4GD", "inside a token"),
    (f"aws_secret_access_key = {SHA1}", "a SHA-1 digest, even near the keyword"),
    (f"token = {SECRET}", "40 base64 characters with no AWS keyword"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "the example key"),
    (f"client_secret = {SECRET}", "a secret that is not said to be a key"),
    ("shipped 1985-03-12", "a date with no birth keyword"),
    ("dob: 1985-02-30", "not a calendar date"),
    ("dob: 2099-01-01", "in the future"),
    ("adobe 1985-03-12", "dob inside a word"),
    ("Osborne 1985-03-12", "born inside a word"),
    ("-----BEGIN PUBLIC KEY-----\n" + RSA_BODY, "a public key"),
    ("-----BEGIN CERTIFICATE-----\n" + RSA_BODY, "a certificate"),
    ('if line == "-----BEGIN RSA PRIVATE KEY-----":\n    pass', "a header with no key"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + RSA_BODY, "not an openssh-key-v1 body"),
    ("-----BEGIN PGP PRIVATE KEY-----\n" + RSA_BODY, "PGP without BLOCK"),
    ("PuTTY-User-Key-File-2: ssh-rsa is the header line", "no Encryption line"),
]


@pytest.mark.parametrize(("text", "expected"), POSITIVES, ids=[t[:40] for t, _ in POSITIVES])
def test_positive(text: str, expected: dict[str, int]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "why"), NEGATIVES, ids=[why for _, why in NEGATIVES])
def test_near_miss(text: str, why: str) -> None:
    assert found(text) == {}, why


def test_several_values_are_each_counted() -> None:
    text = f"{VISA} and {VISA}; 536-22-1934, 536-22-1935; a@example.com b@example.com"
    assert found(text) == {NO_KEYWORD: 2, SSN: 2, EMAIL: 2}


def test_a_keyword_further_than_30_characters_does_not_count() -> None:
    assert found("ssn" + " " * 26 + "536221934") == {SSN: 1}
    assert found("ssn" + " " * 32 + "536221934") == {}


CSV = (
    "name,date_of_birth,ssn,phone,aws_secret_access_key,card_number,note\n"
    f'ann,1985-03-12,536221934,4155552671,{SECRET},{VISA},"dob, ssn and phone: none"\n'
    f"bob,03/12/1985,536221935,4155552672,{SECRET},{VISA},\n"
)


def test_csv_column_names_are_keywords() -> None:
    assert found(CSV, "csv") == {DOB: 2, SSN: 2, PHONE: 2, AWS: 2, CARD: 2}


def test_tsv_column_names_are_keywords() -> None:
    assert found(CSV.replace(",", "\t"), "tsv") == {DOB: 2, SSN: 2, PHONE: 2, AWS: 2, CARD: 2}


def test_columns_are_found_after_quoted_cells() -> None:
    text = 'comment,dob\n"ships, fast",1985-03-12\n"said ""hi"", left",1990-01-01\n'
    assert found(text, "csv") == {DOB: 2}


def test_a_keyword_in_another_csv_cell_does_not_count() -> None:
    text = "a,b\nssn,536221934\ndob,1985-03-12\n"
    assert found(text, "csv") == {}
    assert found(text, "txt") == {SSN: 1, DOB: 1}


def test_json_keys_are_keywords_for_their_values_only() -> None:
    assert found('{"dob": "1985-03-12", "created": "2001-05-06"}', "json") == {DOB: 1}
    assert found('{"user": {"birth": {"date": "1985-03-12"}}}', "jsonl") == {DOB: 1}
    assert found('{"ssn": 536221934}', "json") == {SSN: 1}
    assert found('{"note": "dob unknown", "created": "2001-05-06"}', "json") == {}
    assert found('{"note": "born 2001-05-06"}', "json") == {DOB: 1}


def test_escaped_json_private_key() -> None:
    text = '{"ssh": "-----BEGIN OPENSSH PRIVATE KEY-----\\n' + OPENSSH_BODY + '\\n"}'
    assert found(text, "json") == {"OPENSSH_PRIVATE_KEY": 1}


def _document(repeat: int) -> tuple[str, dict[str, int]]:
    """A text with each kind of value at many offsets, and what it holds."""
    line = (
        f"card {VISA}; ssn 536-22-1934; mail jo@example.com; tel (415) 555-2671; "
        f"iban DE89 3704 0044 0532 0130 00; key AKIAJQ5ZXK7WBTYNP4GD; "
        f"aws_secret_access_key={SECRET}; dob 1985-03-12; "
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{OPENSSH_BODY}\n padding {'x' * 37}\n"
    )
    one = {
        CARD: 1,
        SSN: 1,
        EMAIL: 1,
        PHONE: 1,
        "GERMANY_BANK_ACCOUNT_NUMBER": 1,
        AWS: 2,
        DOB: 1,
        "OPENSSH_PRIVATE_KEY": 1,
    }
    return line * repeat, {identifier: count * repeat for identifier, count in one.items()}


@pytest.mark.parametrize("block_bytes", [64, 333, 4096, 1 << 20])
@pytest.mark.parametrize("piece", [1, 97, 5000])
def test_values_across_block_borders_are_counted_once(block_bytes: int, piece: int) -> None:
    text, expected = _document(60)
    data = text.encode()
    scanner = TextScanner("txt", block_bytes=block_bytes)
    for offset in range(0, len(data), piece):
        scanner.feed(data[offset : offset + piece])
    assert scanner.finish() == expected


def test_a_value_cut_exactly_at_a_block_border() -> None:
    prefix = "x" * 99 + " "
    data = (prefix + f"{VISA} end").encode()
    for cut in range(len(prefix) - 2, len(prefix) + 18):
        scanner = TextScanner("txt", block_bytes=cut)
        scanner.feed(data[:cut])
        scanner.feed(data[cut:])
        assert scanner.finish() == {NO_KEYWORD: 1}, cut


def test_csv_header_columns_hold_in_later_blocks() -> None:
    rows = "".join(f"row{i},1985-03-12\n" for i in range(2000))
    data = ("name,dob\n" + rows).encode()
    scanner = TextScanner("csv", block_bytes=1000)
    for offset in range(0, len(data), 700):
        scanner.feed(data[offset : offset + 700])
    assert scanner.finish() == {DOB: 2000}


def test_identifier_lists() -> None:
    assert "UK_BANK_ACCOUNT_NUMBER" in MACIE_IDENTIFIERS
    assert "BELGIUM_BANK_ACCOUNT_NUMBER" in IDENTIFIERS - MACIE_IDENTIFIERS
    assert EMAIL in IDENTIFIERS - MACIE_IDENTIFIERS
    every_found = set().union(*(expected for _, expected in POSITIVES))
    assert every_found <= IDENTIFIERS
