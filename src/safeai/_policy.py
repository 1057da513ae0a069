"""The policy: which role, key and network every guarded request must use."""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, get_args

from ._exceptions import PolicyError
from ._types import BlockOrWarn, Mode, PiiMode, PiiScanner

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DEFAULT_VPC_ENDPOINTS", "Policy", "check", "check_profile", "did_you_mean", "resolve"]

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
#: A KMS ARN's shape; what follows ``key/`` must then be a key id (``_KEY_ID``).
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):(key|alias)/(.+)$")
#: A KMS key id: a UUID, or ``mrk-`` and 32 hex digits for a multi-Region key.
_KEY_ID = re.compile(
    r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)
_ALIAS_NAME = re.compile(r"^alias/[\w/+=,.@:-]+$")
#: The aliases of AWS managed keys (``alias/aws/s3``, ``alias/aws/sagemaker``, ...).
_AWS_MANAGED_ALIAS = "alias/aws/"
_SUBNET = re.compile(r"^subnet-[0-9a-f]+$")
_SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]+$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
_PII_MODES: tuple[str, ...] = get_args(PiiMode)
_MODES: tuple[str, ...] = get_args(Mode)
_PII_SCANNERS: tuple[str, ...] = get_args(PiiScanner)
_BLOCK_OR_WARN: tuple[str, ...] = get_args(BlockOrWarn)
#: Macie's managed data identifier ids: upper-case words joined by underscores.
_IDENTIFIER = re.compile(r"^[A-Z][A-Z0-9_]*$")
_ENDPOINT_SERVICE = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*$")
#: The PrivateLink interface endpoints a private SageMaker VPC needs by default.
DEFAULT_VPC_ENDPOINTS: tuple[str, ...] = (
    "sagemaker.api",
    "sagemaker.runtime",
    "sts",
    "logs",
    "ecr.api",
    "ecr.dkr",
    "kms",
)

#: Environment variables safeai reads that are not policy fields.
_OTHER_ENVIRONMENT = frozenset({"SAFEAI_CONFIG", "SAFEAI_PROFILE"})
_CONFIG_FILES = ("safeai.toml", "pyproject.toml")

#: Well-formed examples, shown in the errors about formats.
_EXAMPLE_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
_EXAMPLE_KEY_ARN = f"arn:aws:kms:us-east-1:111122223333:key/{_EXAMPLE_KEY_ID}"
_EXAMPLE_KEY_FORMS = (
    f"expected a key ARN like {_EXAMPLE_KEY_ARN} (preferred), a key id like {_EXAMPLE_KEY_ID} "
    "(or mrk- and 32 hex digits for a multi-Region key), an alias like alias/ml-data, or an "
    "alias ARN like arn:aws:kms:us-east-1:111122223333:alias/ml-data"
)
_EXAMPLE_ROLE_ARN = "arn:aws:iam::111122223333:role/ml-execution"


def _fail(name: str, message: str) -> PolicyError:
    return PolicyError(message, field=name)


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the choice closest to ``word``, or ``""``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _strings(
    name: str, value: object, pattern: re.Pattern[str], what: str, example: str
) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _fail(name, f"expected a list of {what}s like [{example!r}], found {value!r}")
    for item in value:
        if not isinstance(item, str) or not pattern.match(item):
            raise _fail(name, f"{item!r} is not a {what}; expected one like {example!r}")
    return tuple(dict.fromkeys(value))


def _optional(name: str, value: object, pattern: re.Pattern[str], what: str, example: str) -> None:
    if value is not None and (not isinstance(value, str) or not pattern.match(value)):
        raise _fail(name, f"{value!r} is not a {what}; expected one like {example!r}")


def _one_of(name: str, value: object, allowed: Sequence[str], *, label: str = "") -> None:
    if value not in allowed:
        raise _fail(
            name,
            f"{label}expected one of {', '.join(allowed)}, found {value!r}"
            + did_you_mean(value, allowed),
        )


_TAG_KEY = re.compile(r"^(?!aws:)[\w\s+=.:/@-]{1,128}$")
_TAG_VALUE = re.compile(r"^[\w\s+=.:/@-]{0,256}$")


def _checked_tags(tags: object) -> dict[str, str]:
    if not isinstance(tags, Mapping):
        raise _fail("tags", f"expected a table of key = value, found {tags!r}")
    for key, value in tags.items():
        if not isinstance(key, str) or not _TAG_KEY.match(key):
            raise _fail("tags", f"{key!r} is not a tag key (1-128 characters, not aws:…)")
        if not isinstance(value, str) or not _TAG_VALUE.match(value):
            raise _fail("tags", f"{key!r}: {value!r} is not a tag value (0-256 characters)")
    return dict(tags)


def _not_a_slug(slug: object) -> str:
    from .controls import CATALOGUE

    suggestion = did_you_mean(slug, [control.slug for control in CATALOGUE])
    return f"{slug!r} is not a control slug{suggestion} (see docs/controls.md)"


def _kms_key_problem(value: object) -> str | None:
    """Why ``value`` is not a customer managed key a policy may name, or None when it is one."""
    if not isinstance(value, str):
        return f"expected a KMS key as a string, found {value!r}; {_EXAMPLE_KEY_FORMS}"
    arn = _KMS_ARN.match(value)
    if arn is None and value.startswith("arn:"):
        return f"{value!r} is not a KMS key ARN; {_EXAMPLE_KEY_FORMS}"
    kind, name = (arn.group(3), arn.group(4)) if arn else ("", value)
    alias = f"alias/{name}" if kind == "alias" else name
    if alias.startswith(_AWS_MANAGED_ALIAS):
        return (
            f"{value!r} is an AWS managed key: AWS owns its key policy and rotates it on its own "
            "schedule, so you cannot restrict who may use it or manage its rotation (preflight "
            "refuses it as kms.key); create a customer managed key and name it, like "
            f"{_EXAMPLE_KEY_ARN}"
        )
    if kind == "key":
        if _KEY_ID.match(name):
            return None
        return (
            f"{value!r} is not a key ARN: {name!r} after key/ is not a key id (a UUID like "
            f"{_EXAMPLE_KEY_ID}, or mrk- and 32 hex digits for a multi-Region key); expected "
            f"a key ARN like {_EXAMPLE_KEY_ARN}"
        )
    if alias.startswith("alias/"):
        if _ALIAS_NAME.match(alias):
            return None
        return f"{value!r} is not an alias; expected one like alias/ml-data"
    if _KEY_ID.match(value):
        return None
    return f"{value!r} is not a KMS key id, key ARN, alias or alias ARN; {_EXAMPLE_KEY_FORMS}"


@dataclass(frozen=True)
class Policy:
    """What every guarded request must use: a role, a KMS key, private subnets, and so on.

    The policy is frozen and validated when it is built: a malformed value raises
    :class:`safeai.PolicyError` naming the field. ``execution_role_arn``, ``kms_key_id``,
    ``subnets`` and ``security_group_ids`` are needed by the SageMaker controls; a request that
    needs one the policy lacks is refused rather than sent unguarded.

    Args:
        execution_role_arn: the IAM role SageMaker workloads run as; injected where missing.
        kms_key_id: the customer-managed key (ARN preferred) injected for encryption at rest:
            a key ARN or id (a UUID, or ``mrk-`` and 32 hex digits), an alias or an alias ARN;
            AWS managed keys (``alias/aws/...``) are refused.
        subnets: private subnet ids; requests may use any non-empty subset.
        security_group_ids: security group ids; requests may use any non-empty subset.
        network_isolation: require ``EnableNetworkIsolation`` (default True).
        inter_container_encryption: require ``EnableInterContainerTrafficEncryption``
            (default True).
        private_registry: require every model container to pull its image from a private
            Docker registry in the VPC (``ImageConfig.RepositoryAccessMode="Vpc"``; default
            False: images from Amazon ECR).
        allowed_role_arns: further roles a request may name instead of ``execution_role_arn``.
        allowed_kms_key_ids: further keys a request may name instead of ``kms_key_id``.
        pii: what a PII finding in a job's S3 input does: ``"block"`` (refuse the request),
            ``"warn"`` (send it with a :class:`safeai.SecurityWarning`) or ``"off"`` (no scan).
        pii_scanner: ``"macie"`` (Amazon Macie classification jobs) or ``"local"`` (safeai's
            offline scanner, for development and air-gapped accounts).
        pii_allowed_types: Macie managed data identifier ids that are acceptable in inputs
            (none by default).
        pii_unknown: what an object that could not be classified does (an unsupported format,
            a key the scanner may not use): ``"block"`` or ``"warn"``; never clean.
        pii_timeout_s: how long a scan may take before it is cancelled and the request refused.
        pii_sampling_percentage: the share of objects a scan reads (1-100; default all).
        pii_cache_dir: a directory that keeps verdicts across processes (none: in memory).
        s3_posture: what a job input bucket that is not at the baseline (default SSE-KMS, Block
            Public Access, a TLS-only policy) does: ``"block"`` or ``"warn"``.
        allow_loopback_http: let guarded clients use a plain ``http://`` endpoint on the
            loopback interface (127.0.0.0/8, ::1, localhost), for local emulators in tests;
            every other plain-HTTP endpoint is refused.
        preflight: run the checks that call AWS (the account of the client's credentials, the
            role, key and network, and the data a job reads); False runs only the pure engine
            and the reference checks.
        waivers: control slug -> the written reason it is waived; recorded in every decision.
        region: the region the role, key and subnets live in; taken from ``kms_key_id`` when it
            is an ARN. A guarded client of another region is refused.
        preflight_ttl_seconds: how long preflight reuses what it learnt from AWS (default 15
            minutes).
        required_vpc_endpoints: the interface endpoints (service suffixes, as in
            ``com.amazonaws.<region>.<suffix>``) the subnets' VPC must have, with private DNS;
            an S3 gateway endpoint is always required too.
        mode: ``"enforce"`` (default) refuses what is weaker; ``"warn"`` still fills in what is
            missing but sends what enforce would refuse, with a :class:`safeai.SecurityWarning`;
            ``"report"`` changes and refuses nothing and only records what enforce would do.
        modes: per-control overrides of ``mode``: control slug -> mode.
        tags: tags injected into every covered create request that takes ``Tags``; a request
            giving one of these keys another value is refused.
        required_tag_keys: tag keys every such request must carry, from the caller or the
            policy.
    """

    execution_role_arn: str | None = None
    kms_key_id: str | None = None
    subnets: Sequence[str] = ()
    security_group_ids: Sequence[str] = ()
    network_isolation: bool = True
    inter_container_encryption: bool = True
    private_registry: bool = False
    allowed_role_arns: Sequence[str] = ()
    allowed_kms_key_ids: Sequence[str] = ()
    pii: PiiMode = "block"
    pii_scanner: PiiScanner = "macie"
    pii_allowed_types: Sequence[str] = ()
    pii_unknown: BlockOrWarn = "block"
    pii_timeout_s: float = 1800.0
    pii_sampling_percentage: int = 100
    pii_cache_dir: str | None = None
    s3_posture: BlockOrWarn = "block"
    allow_loopback_http: bool = False
    preflight: bool = True
    waivers: Mapping[str, str] = field(default_factory=dict)
    region: str | None = None
    preflight_ttl_seconds: float = 900.0
    required_vpc_endpoints: Sequence[str] = DEFAULT_VPC_ENDPOINTS
    mode: Mode = "enforce"
    modes: Mapping[str, Mode] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    required_tag_keys: Sequence[str] = ()

    _effective_region: str | None = field(init=False, repr=False, compare=False, default=None)
    _account_id: str | None = field(init=False, repr=False, compare=False, default=None)
    _role_arns: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())
    _kms_key_ids: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        _optional(
            "execution_role_arn", self.execution_role_arn, _ROLE_ARN, "role ARN", _EXAMPLE_ROLE_ARN
        )
        if self.kms_key_id is not None:
            problem = _kms_key_problem(self.kms_key_id)
            if problem:
                raise _fail("kms_key_id", problem)
        set_(
            self,
            "subnets",
            _strings(
                "subnets", self.subnets, _SUBNET, "subnet id (subnet-…)", "subnet-0a1b2c3d4e5f60718"
            ),
        )
        set_(
            self,
            "security_group_ids",
            _strings(
                "security_group_ids",
                self.security_group_ids,
                _SECURITY_GROUP,
                "security group id",
                "sg-0c3d4e5f607182930",
            ),
        )
        set_(
            self,
            "allowed_role_arns",
            _strings(
                "allowed_role_arns",
                self.allowed_role_arns,
                _ROLE_ARN,
                "role ARN",
                _EXAMPLE_ROLE_ARN,
            ),
        )
        keys = self.allowed_kms_key_ids
        if isinstance(keys, str) or not isinstance(keys, Sequence):
            raise _fail(
                "allowed_kms_key_ids",
                f"expected a list of KMS keys like [{_EXAMPLE_KEY_ARN!r}], found {keys!r}",
            )
        for key in keys:
            problem = _kms_key_problem(key)
            if problem:
                raise _fail("allowed_kms_key_ids", problem)
        set_(self, "allowed_kms_key_ids", tuple(dict.fromkeys(keys)))
        for flag in (
            "network_isolation",
            "inter_container_encryption",
            "private_registry",
            "preflight",
            "allow_loopback_http",
        ):
            if not isinstance(getattr(self, flag), bool):
                raise _fail(flag, f"expected true or false, found {getattr(self, flag)!r}")
        for name, allowed in (
            ("pii", _PII_MODES),
            ("pii_scanner", _PII_SCANNERS),
            ("pii_unknown", _BLOCK_OR_WARN),
            ("s3_posture", _BLOCK_OR_WARN),
        ):
            _one_of(name, getattr(self, name), allowed)
        set_(
            self,
            "pii_allowed_types",
            _strings(
                "pii_allowed_types",
                self.pii_allowed_types,
                _IDENTIFIER,
                "Macie managed data identifier id",
                "CREDIT_CARD_NUMBER",
            ),
        )
        timeout = self.pii_timeout_s
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise _fail("pii_timeout_s", f"expected a number of seconds > 0, found {timeout!r}")
        share = self.pii_sampling_percentage
        if isinstance(share, bool) or not isinstance(share, int) or not 1 <= share <= 100:
            raise _fail(
                "pii_sampling_percentage", f"expected a whole number from 1 to 100, found {share!r}"
            )
        if self.pii_cache_dir is not None and not isinstance(self.pii_cache_dir, str):
            raise _fail("pii_cache_dir", f"expected a directory path, found {self.pii_cache_dir!r}")
        set_(self, "waivers", MappingProxyType(self._checked_waivers()))
        _one_of("mode", self.mode, _MODES)
        set_(self, "modes", MappingProxyType(self._checked_modes()))
        set_(self, "tags", MappingProxyType(_checked_tags(self.tags)))
        set_(
            self,
            "required_tag_keys",
            _strings("required_tag_keys", self.required_tag_keys, _TAG_KEY, "tag key", "team"),
        )
        ttl = self.preflight_ttl_seconds
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl < 0:
            raise _fail(
                "preflight_ttl_seconds", f"expected a number of seconds >= 0, found {ttl!r}"
            )
        set_(
            self,
            "required_vpc_endpoints",
            _strings(
                "required_vpc_endpoints",
                self.required_vpc_endpoints,
                _ENDPOINT_SERVICE,
                "VPC endpoint service suffix",
                "sagemaker.api",
            ),
        )
        _optional("region", self.region, _REGION, "region name", "eu-west-1")
        key_region = self._key_region()
        if self.region and key_region and key_region != self.region:
            raise _fail(
                "region",
                f"{self.region!r} differs from the region of kms_key_id ({key_region!r})",
            )
        # Derived once: the guard reads these on every request.
        set_(self, "_effective_region", self.region or key_region)
        role = _ROLE_ARN.match(self.execution_role_arn or "")
        set_(self, "_account_id", role.group(1) if role else None)
        set_(
            self,
            "_role_arns",
            (self.execution_role_arn,) * bool(self.execution_role_arn)
            + tuple(self.allowed_role_arns),
        )
        set_(
            self,
            "_kms_key_ids",
            (self.kms_key_id,) * bool(self.kms_key_id) + tuple(self.allowed_kms_key_ids),
        )
        set_(
            self,
            "_hash",
            hash(
                tuple(
                    tuple(sorted(getattr(self, f.name).items()))
                    if f.name in ("waivers", "modes", "tags")
                    else getattr(self, f.name)
                    for f in fields(self)
                    if f.init
                )
            ),
        )

    def _checked_modes(self) -> dict[str, Mode]:
        from .controls import by_slug

        if not isinstance(self.modes, Mapping):
            raise _fail("modes", f"expected a table of slug = mode, found {self.modes!r}")
        for slug, mode in self.modes.items():
            if by_slug(slug) is None:
                raise _fail("modes", _not_a_slug(slug))
            _one_of("modes", mode, _MODES, label=f"{slug!r}: ")
        return dict(self.modes)

    def mode_of(self, slug: str) -> Mode:
        """The mode ``slug`` acts in: its override in ``modes``; else warn for the PII and
        input-bucket checks their own fields set to warn; else ``mode``."""
        found = self.modes.get(slug)
        if found is not None:
            return found
        if self.mode == "enforce" and (
            (self.pii == "warn" and slug.endswith(".pii"))
            or (self.s3_posture == "warn" and slug == "s3.posture")
        ):
            return "warn"
        return self.mode

    def _checked_waivers(self) -> dict[str, str]:
        from .controls import by_slug

        if not isinstance(self.waivers, Mapping):
            raise _fail("waivers", f"expected a table of slug = reason, found {self.waivers!r}")
        checked: dict[str, str] = {}
        for slug, reason in self.waivers.items():
            control = by_slug(slug)
            if control is None:
                raise _fail("waivers", _not_a_slug(slug))
            if not control.waivable:
                raise _fail("waivers", f"{slug!r} cannot be waived (see docs/waivers.md)")
            if not isinstance(reason, str) or not reason.strip():
                raise _fail("waivers", f"{slug!r} needs a written reason, found {reason!r}")
            checked[slug] = reason.strip()
        return checked

    def __hash__(self) -> int:
        return self._hash

    def _key_region(self) -> str | None:
        match = _KMS_ARN.match(self.kms_key_id or "")
        return match.group(1) if match else None

    @property
    def effective_region(self) -> str | None:
        """``region``, or the region of ``kms_key_id`` when it is an ARN."""
        return self._effective_region

    @property
    def account_id(self) -> str | None:
        """The account of ``execution_role_arn``, when there is one."""
        return self._account_id

    @property
    def role_arns(self) -> tuple[str, ...]:
        """Every role a request may name: the execution role, then the allowed ones."""
        return self._role_arns

    @property
    def kms_key_ids(self) -> tuple[str, ...]:
        """Every key a request may name: the policy's key, then the allowed ones."""
        return self._kms_key_ids

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        profile: str | None = None,
        **overrides: Any,
    ) -> Self:
        """Build the policy from configuration.

        Reads ``path`` when given; otherwise ``$SAFEAI_CONFIG``; otherwise the first
        ``safeai.toml`` or ``pyproject.toml`` with a ``[tool.safeai]`` table found from the
        working directory upward. A profile (``profile``, else ``$SAFEAI_PROFILE``) is a table
        ``[tool.safeai.profiles.<name>]`` (``[profiles.<name>]`` in safeai.toml) that inherits
        from the top-level table. Precedence, strongest first: ``overrides`` given here, then
        ``SAFEAI_<FIELD>`` environment variables (lists comma-separated, booleans
        ``true``/``false``, tables ``key=value,...``), the profile, the top-level table, the
        defaults. Errors name the file, the profile and the key, and list every problem found,
        not only the first: the error's ``field`` and ``source`` are those of the first.
        """
        values, sources, problems = _collect(path, profile=profile, overrides=overrides)
        if not problems:
            try:
                return cls(**values)
            except PolicyError:
                pass  # found again below, with every other problem and where each came from
        raise _combined(_value_problems(values, sources, problems))


def resolve(
    path: str | os.PathLike[str] | None = None,
    *,
    profile: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The configured policy values and where each came from, before validation (what
    ``safeai policy show`` prints). Raises PolicyError for unknown keys, variables and
    profiles, listing every one."""
    values, sources, problems = _collect(path, profile=profile, overrides=overrides)
    if problems:
        raise _combined(problems)
    return values, sources


def check(path: str | os.PathLike[str] | None = None) -> list[PolicyError]:
    """Every problem of a configuration and each of its profiles, not only the first: unknown
    keys and variables, then each key validated on its own, then, when they all pass, the whole
    (for rules between keys)."""
    problems: dict[str, PolicyError] = {}
    for problem in _gathered(path, None):
        problems.setdefault(str(problem), problem)
    try:
        found, _ = _located(path)
        table = _read_table(found)[0] if found is not None else {}
    except PolicyError:
        return list(problems.values())  # already reported
    profiles = table.get("profiles", {})
    for profile in sorted(profiles) if isinstance(profiles, dict) else []:
        for problem in _gathered(path, profile):
            problems.setdefault(str(problem), problem)
    return list(problems.values())


def check_profile(profile: str, path: str | os.PathLike[str] | None = None) -> None:
    """Raise PolicyError unless the configuration (``path``, ``$SAFEAI_CONFIG`` or the file
    found from the working directory upward) defines ``profile``; the error names the profiles
    it does define and where the file was looked for."""
    found, how = _located(path)
    if found is None:
        raise PolicyError(_no_file_for(profile))
    table, where = _read_table(found)
    _profile_table(found, where, table.get("profiles", {}), profile, how)


def _combined(problems: Sequence[PolicyError]) -> PolicyError:
    """One error for several problems: the first, with the others listed after it."""
    first, *rest = problems
    if not rest:
        return first
    listed = "".join(f"\n  - {problem}" for problem in rest)
    return PolicyError(
        f"{first.reason}\n  and {len(rest)} more problem(s):{listed}",
        field=first.field,
        source=first.source,
    )


def _gathered(path: str | os.PathLike[str] | None, profile: str | None) -> list[PolicyError]:
    try:
        values, sources, problems = _collect(path, profile=profile)
    except PolicyError as error:
        return [error]
    return _value_problems(values, sources, problems)


def _value_problems(
    values: Mapping[str, Any], sources: Mapping[str, str], problems: Sequence[PolicyError]
) -> list[PolicyError]:
    """``problems``, then every value that is invalid on its own; when there are none, the
    problem of the whole (a rule between keys), if any."""
    found = list(problems)
    for key, value in values.items():
        try:
            Policy(**{key: value})
        except PolicyError as error:
            found.append(PolicyError(error.reason, field=key, source=sources.get(key)))
    if found:
        return found
    try:
        Policy(**values)
    except PolicyError as error:
        return [PolicyError(error.reason, field=error.field, source=sources.get(error.field or ""))]
    return []


def _collect(
    path: str | os.PathLike[str] | None,
    *,
    profile: str | None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str], list[PolicyError]]:
    """The configured values, where each came from, and the problems found in the keys and
    variables (the unknown ones are left out of the values). Raises PolicyError when there is
    nothing to go on: a file that cannot be read, a profile it lacks, no configuration."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[PolicyError] = []
    fields_ = [f.name for f in fields(Policy) if f.init]
    found, how = _located(path)
    profile = profile or os.environ.get("SAFEAI_PROFILE") or None
    layers: list[tuple[Mapping[str, Any], str, list[str]]] = []
    if found is not None:
        table, where = _read_table(found)
        table = dict(table)
        profiles = table.pop("profiles", {})
        layers.append((table, f"{found} {where}".rstrip(), [*fields_, "profiles"]))
        if profile is not None:
            chosen = _profile_table(found, where, profiles, profile, how)
            prefix = "[tool.safeai.profiles" if where else "[profiles"
            layers.append((chosen, f"{found} {prefix}.{profile}]", fields_))
    elif profile is not None:
        raise PolicyError(_no_file_for(profile))
    environment, environment_problems = _environment()
    layers.append((environment, "", fields_))
    layers.append((overrides or {}, "code (Policy.load keyword)", fields_))
    for layer, source, choices in layers:
        if layer is environment:  # in the order of precedence: the file's problems first
            problems += environment_problems
        for key, value in layer.items():
            where_from = source or f"environment variable SAFEAI_{key.upper()}"
            if key not in fields_:
                problems.append(_unknown_key(key, where_from, choices))
                continue
            values[key] = value
            sources[key] = where_from
    if not values and not problems:
        raise PolicyError(
            "no configuration found: write safeai.toml or a [tool.safeai] table in "
            f"pyproject.toml (searched from {Path.cwd()} upward), or set SAFEAI_* variables"
        )
    return values, sources, problems


def _unknown_key(key: str, source: str, choices: Sequence[str]) -> PolicyError:
    suggestion = did_you_mean(key, choices)
    return PolicyError(
        f"unknown key{suggestion}"
        if suggestion
        else f"unknown key; expected one of {', '.join(sorted(choices))}",
        source=source,
        field=key,
    )


def _located(path: str | os.PathLike[str] | None) -> tuple[Path | None, str]:
    """The configuration file to read, if any, and how it was (or was not) found."""
    if path is not None:
        return Path(path), "given as the configuration file"
    named = os.environ.get("SAFEAI_CONFIG")
    if named:
        return Path(named), "named by $SAFEAI_CONFIG"
    return _search(Path.cwd()), f"found from {Path.cwd()} upward"


def _no_file_for(profile: str) -> str:
    return (
        f"profile {profile!r} given, but no configuration file was found to define it: none "
        f"from {Path.cwd()} upward (safeai.toml, or a pyproject.toml with a [tool.safeai] "
        "table), and $SAFEAI_CONFIG is not set"
    )


def _profile_table(
    found: Path, where: str, profiles: object, profile: str, how: str
) -> Mapping[str, Any]:
    """The table of ``profile`` in ``found``, or PolicyError naming the profiles there."""
    chosen = profiles.get(profile) if isinstance(profiles, dict) else None
    if isinstance(chosen, dict):
        return chosen
    names = sorted(profiles) if isinstance(profiles, dict) else []
    table = "[tool.safeai.profiles.<name>]" if where else "[profiles.<name>]"
    raise PolicyError(
        f"no profile {profile!r} (profiles: {', '.join(names) or 'none'})"
        f"{did_you_mean(profile, names) or '.'} A profile is a {table} table in this file, "
        f"{how}.",
        source=str(found),
    )


def _search(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        for name in _CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file() and (name == "safeai.toml" or _has_tool_table(candidate)):
                return candidate
    return None


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            document: dict[str, Any] = tomllib.load(handle)
            return document
    except OSError as error:
        raise PolicyError(f"cannot read: {error.strerror}", source=str(path)) from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"not valid TOML: {error}", source=str(path)) from None


def _has_tool_table(path: Path) -> bool:
    return "safeai" in _load_toml(path).get("tool", {})


def _read_table(path: Path) -> tuple[dict[str, Any], str]:
    document = _load_toml(path)
    if path.name == "pyproject.toml" or "tool" in document:
        table = document.get("tool", {}).get("safeai")
        if not isinstance(table, dict):
            raise PolicyError("has no [tool.safeai] table", source=str(path))
        return table, "[tool.safeai]"
    return document, ""


def _environment() -> tuple[dict[str, object], list[PolicyError]]:
    """The ``SAFEAI_<FIELD>`` variables as policy values, and the problems of the others."""
    names = {f.name: f for f in fields(Policy) if f.init}
    variables = [f"SAFEAI_{name.upper()}" for name in names if name != "waivers"]
    found: dict[str, object] = {}
    problems: list[PolicyError] = []
    for variable, raw in sorted(os.environ.items()):
        if not variable.startswith("SAFEAI_") or variable in _OTHER_ENVIRONMENT:
            continue
        source = f"environment variable {variable}"
        key = variable.removeprefix("SAFEAI_").lower()
        if key == "waivers":
            problems.append(
                PolicyError(
                    "unknown variable (waivers belong in a reviewed configuration file)",
                    source=source,
                )
            )
            continue
        if key not in names:
            suggestion = did_you_mean(variable, [*variables, *_OTHER_ENVIRONMENT])
            fields_ = ", ".join(sorted(set(names) - {"waivers"}))
            problems.append(
                PolicyError(
                    f"unknown variable{suggestion} (a typo would silently change the policy)"
                    if suggestion
                    else "unknown variable (a typo would silently change the policy); policy "
                    f"fields are {fields_}",
                    source=source,
                )
            )
            continue
        try:
            found[key] = _parsed(key, raw)
        except ValueError as error:
            problems.append(PolicyError(str(error), source=source))
    return found, problems


def _parsed(key: str, raw: str) -> object:
    """The value of a ``SAFEAI_<KEY>`` variable; ValueError when it cannot be read as one."""
    default = getattr(Policy, key, None)
    if isinstance(default, int) and not isinstance(default, bool):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number, found {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"expected a number, found {raw!r}") from None
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered not in {"true", "false", "1", "0", "yes", "no"}:
            raise ValueError(f"expected true or false, found {raw!r}")
        return lowered in {"true", "1", "yes"}
    if isinstance(default, tuple):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if key in ("tags", "modes"):
        pairs = [part.split("=", 1) for part in raw.split(",") if part.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"expected key=value pairs separated by commas, found {raw!r}")
        return {name.strip(): value.strip() for name, value in pairs}
    return raw.strip() or None
