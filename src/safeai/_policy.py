"""The policy: which role, key and network every guarded request must use."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, get_args

from ._exceptions import PolicyError
from ._types import BlockOrWarn, Mode, PiiMode, PiiScanner

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DEFAULT_VPC_ENDPOINTS", "Policy", "check", "resolve"]

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_KMS_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):(key|alias)/([\w/+=,.@:-]+)$"
)
_KMS_BARE = re.compile(r"^(?:(?:mrk-)?[0-9a-f]{32}|[0-9a-f-]{36}|alias/[\w/+=,.@:-]+)$")
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


def _fail(name: str, message: str) -> PolicyError:
    return PolicyError(message, field=name)


def _strings(name: str, value: object, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _fail(name, f"expected a list of {what}s, found {value!r}")
    for item in value:
        if not isinstance(item, str) or not pattern.match(item):
            raise _fail(name, f"{item!r} is not a {what}")
    return tuple(dict.fromkeys(value))


def _optional(name: str, value: object, pattern: re.Pattern[str], what: str) -> None:
    if value is not None and (not isinstance(value, str) or not pattern.match(value)):
        raise _fail(name, f"{value!r} is not a {what}")


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


def _is_kms_key(value: str) -> bool:
    return bool(_KMS_ARN.match(value) or _KMS_BARE.match(value))


@dataclass(frozen=True)
class Policy:
    """What every guarded request must use: a role, a KMS key, private subnets, and so on.

    The policy is frozen and validated when it is built: a malformed value raises
    :class:`safeai.PolicyError` naming the field. ``execution_role_arn``, ``kms_key_id``,
    ``subnets`` and ``security_group_ids`` are needed by the SageMaker controls; a request that
    needs one the policy lacks is refused rather than sent unguarded.

    Args:
        execution_role_arn: the IAM role SageMaker workloads run as; injected where missing.
        kms_key_id: the customer-managed key (ARN preferred) injected for encryption at rest.
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
        _optional("execution_role_arn", self.execution_role_arn, _ROLE_ARN, "role ARN")
        for name in ("kms_key_id",):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not _is_kms_key(value)):
                raise _fail(name, f"{value!r} is not a KMS key id, key ARN, alias or alias ARN")
        set_(self, "subnets", _strings("subnets", self.subnets, _SUBNET, "subnet id (subnet-…)"))
        set_(
            self,
            "security_group_ids",
            _strings(
                "security_group_ids", self.security_group_ids, _SECURITY_GROUP, "security group id"
            ),
        )
        set_(
            self,
            "allowed_role_arns",
            _strings("allowed_role_arns", self.allowed_role_arns, _ROLE_ARN, "role ARN"),
        )
        keys = self.allowed_kms_key_ids
        if isinstance(keys, str) or not isinstance(keys, Sequence):
            raise _fail("allowed_kms_key_ids", f"expected a list of KMS keys, found {keys!r}")
        for key in keys:
            if not isinstance(key, str) or not _is_kms_key(key):
                raise _fail("allowed_kms_key_ids", f"{key!r} is not a KMS key id or ARN")
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
            if getattr(self, name) not in allowed:
                found = getattr(self, name)
                raise _fail(name, f"expected one of {', '.join(allowed)}, found {found!r}")
        set_(
            self,
            "pii_allowed_types",
            _strings(
                "pii_allowed_types",
                self.pii_allowed_types,
                _IDENTIFIER,
                "Macie managed data identifier id (CREDIT_CARD_NUMBER, ...)",
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
        if self.mode not in _MODES:
            raise _fail("mode", f"expected one of {', '.join(_MODES)}, found {self.mode!r}")
        set_(self, "modes", MappingProxyType(self._checked_modes()))
        set_(self, "tags", MappingProxyType(_checked_tags(self.tags)))
        set_(
            self,
            "required_tag_keys",
            _strings("required_tag_keys", self.required_tag_keys, _TAG_KEY, "tag key"),
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
                "VPC endpoint service suffix (sagemaker.api, sts, …)",
            ),
        )
        _optional("region", self.region, _REGION, "region name")
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
                raise _fail("modes", f"{slug!r} is not a control slug (see docs/controls.md)")
            if mode not in _MODES:
                raise _fail(
                    "modes", f"{slug!r}: expected one of {', '.join(_MODES)}, found {mode!r}"
                )
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
                raise _fail("waivers", f"{slug!r} is not a control slug (see docs/controls.md)")
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
        defaults. Errors name the file, the profile and the key.
        """
        values, sources = resolve(path, profile=profile, overrides=overrides)
        try:
            return cls(**values)
        except PolicyError as error:
            raise PolicyError(
                error.reason,
                field=error.field,
                source=sources.get(error.field or ""),
            ) from None


def resolve(
    path: str | os.PathLike[str] | None = None,
    *,
    profile: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The configured policy values and where each came from, before validation (what
    ``safeai policy show`` prints). Raises PolicyError for unknown keys and profiles."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    location = path if path is not None else os.environ.get("SAFEAI_CONFIG")
    found = Path(location) if location else _search(Path.cwd())
    profile = profile or os.environ.get("SAFEAI_PROFILE") or None
    if found is not None:
        table, where = _read_table(found)
        profiles = table.pop("profiles", {})
        layers = [(table, f"{found} {where}".rstrip())]
        if profile is not None:
            chosen = profiles.get(profile) if isinstance(profiles, dict) else None
            if not isinstance(chosen, dict):
                names = ", ".join(sorted(profiles)) if isinstance(profiles, dict) else ""
                raise PolicyError(
                    f"no profile {profile!r} (profiles: {names or 'none'})", source=str(found)
                )
            prefix = "[tool.safeai.profiles" if where else "[profiles"
            layers.append((chosen, f"{found} {prefix}.{profile}]"))
        for table_values, source in layers:
            for key, value in table_values.items():
                values[key] = value
                sources[key] = source
    elif profile is not None:
        raise PolicyError(f"profile {profile!r} given, but no configuration file was found")
    for key, value in _environment().items():
        values[key] = value
        sources[key] = f"environment variable SAFEAI_{key.upper()}"
    for key, value in (overrides or {}).items():
        values[key] = value
        sources[key] = "code (Policy.load keyword)"
    if not values:
        raise PolicyError(
            "no configuration found: write safeai.toml or a [tool.safeai] table in "
            f"pyproject.toml (searched from {Path.cwd()} upward), or set SAFEAI_* variables"
        )
    known = {f.name for f in fields(Policy) if f.init}
    for key in values:
        if key not in known:
            raise PolicyError(
                f"unknown key; expected one of {', '.join(sorted(known))}",
                source=sources[key],
                field=key,
            )
    return values, sources


def check(path: str | os.PathLike[str] | None = None) -> list[PolicyError]:
    """Every problem of a configuration and each of its profiles, not only the first: each key
    is validated on its own, then, when they all pass, the whole (for rules between keys)."""
    try:
        resolve(path)
    except PolicyError as error:
        return [error]
    location = path if path is not None else os.environ.get("SAFEAI_CONFIG")
    found = Path(location) if location else _search(Path.cwd())
    profiles = _read_table(found)[0].get("profiles", {}) if found is not None else {}
    problems: dict[str, PolicyError] = {}
    for profile in [None, *(sorted(profiles) if isinstance(profiles, dict) else [])]:
        for problem in _problems(path, profile):
            problems.setdefault(str(problem), problem)
    return list(problems.values())


def _problems(path: str | os.PathLike[str] | None, profile: str | None) -> list[PolicyError]:
    try:
        values, sources = resolve(path, profile=profile)
    except PolicyError as error:
        return [error]
    found: list[PolicyError] = []
    for key, value in values.items():
        try:
            Policy(**{key: value})
        except PolicyError as error:
            found.append(PolicyError(error.reason, field=key, source=sources[key]))
    if found:
        return found
    try:
        Policy(**values)
    except PolicyError as error:
        return [PolicyError(error.reason, field=error.field, source=sources.get(error.field or ""))]
    return []


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


def _environment() -> dict[str, object]:
    names = {f.name: f for f in fields(Policy) if f.init}
    found: dict[str, object] = {}
    for variable, raw in os.environ.items():
        if not variable.startswith("SAFEAI_") or variable in _OTHER_ENVIRONMENT:
            continue
        key = variable.removeprefix("SAFEAI_").lower()
        if key not in names or key == "waivers":
            raise PolicyError(
                "unknown variable (waivers belong in a reviewed configuration file)"
                if key == "waivers"
                else "unknown variable (a typo would silently change the policy); policy fields "
                f"are {', '.join(sorted(set(names) - {'waivers'}))}",
                source=f"environment variable {variable}",
            )
        default = getattr(Policy, key, None)
        if isinstance(default, int) and not isinstance(default, bool):
            try:
                found[key] = int(raw)
            except ValueError:
                raise PolicyError(
                    f"expected a whole number, found {raw!r}",
                    source=f"environment variable {variable}",
                ) from None
        elif isinstance(default, float):
            try:
                found[key] = float(raw)
            except ValueError:
                raise PolicyError(
                    f"expected a number, found {raw!r}", source=f"environment variable {variable}"
                ) from None
        elif isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                raise PolicyError(
                    f"expected true or false, found {raw!r}",
                    source=f"environment variable {variable}",
                )
            found[key] = lowered in {"true", "1", "yes"}
        elif isinstance(default, tuple):
            found[key] = [part.strip() for part in raw.split(",") if part.strip()]
        elif key in ("tags", "modes"):
            pairs = [part.split("=", 1) for part in raw.split(",") if part.strip()]
            if any(len(pair) != 2 for pair in pairs):
                raise PolicyError(
                    f"expected key=value pairs separated by commas, found {raw!r}",
                    source=f"environment variable {variable}",
                )
            found[key] = {name.strip(): value.strip() for name, value in pairs}
        else:
            found[key] = raw.strip() or None
    return found
