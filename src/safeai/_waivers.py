"""Waivers granted in code for the current thread or task: ``with safeai.waive(...)``.

A waiver names a control and gives a reason. It switches the control off for every request in
the block, unless it names ``inputs``: then it covers only the S3 data at or below those
locations, for the controls checked on the data a job reads (``<family>.pii``, ``s3.posture``),
so waiving one channel never switches off the check of another.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from ._exceptions import PolicyError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from ._policy import Policy

__all__ = ["InputWaiver", "active_input_waivers", "active_waivers", "serverless", "waive"]


@dataclass(frozen=True, slots=True)
class InputWaiver:
    """A waiver of ``control`` for the S3 data at or below ``locations`` only: ``(bucket, key
    prefix)`` pairs, an empty prefix meaning the whole bucket."""

    control: str
    reason: str
    locations: tuple[tuple[str, str], ...]

    def covers(self, bucket: str, key: str) -> bool:
        """Whether the object (or prefix) ``key`` of ``bucket`` lies at or below a location: the
        location itself, or below it as a folder (``images`` covers ``images/a.rec``, not
        ``images-customers/pii.csv``)."""
        return any(
            bucket == b
            and (not prefix or key == prefix or key.startswith(prefix.rstrip("/") + "/"))
            for b, prefix in self.locations
        )

    def covers_bucket(self, bucket: str) -> bool:
        """Whether a location is the whole of ``bucket`` (what a bucket's posture waiver needs)."""
        return (bucket, "") in self.locations


#: The controls checked on the S3 data a job reads, which a waiver may scope to locations.
_INPUT_CONTROLS_SUFFIX = ".pii"
_POSTURE = "s3.posture"
_EMPTY: Mapping[str, str] = MappingProxyType({})
_scoped: ContextVar[Mapping[str, str]] = ContextVar("safeai_waivers", default=_EMPTY)
_scoped_inputs: ContextVar[tuple[InputWaiver, ...]] = ContextVar("safeai_input_waivers", default=())
_audit = logging.getLogger("safeai.audit")


@contextmanager
def waive(slug: str, *, reason: str, inputs: Sequence[str] | None = None) -> Iterator[None]:
    """Waive one control inside the ``with`` block, for this thread or asyncio task only.

    The reason is required and is recorded in every decision the waiver affects, and the waiver
    itself is written to the ``safeai.audit`` log when it starts. ``inputs`` (``s3://bucket/prefix``
    locations) scopes a waiver of a control checked on the data a job reads (``<family>.pii``,
    ``s3.posture``) to that data: other inputs of the same request are still checked.

    >>> with safeai.waive("training.network_isolation", reason="needs pip at start-up; INC-123"):
    ...     estimator.fit()
    >>> with safeai.waive("training.pii", reason="RecordIO images, no text; DS-42",
    ...                   inputs=["s3://ml-data/images/"]):
    ...     estimator.fit({"train": "s3://ml-data/images/", "labels": "s3://ml-data/labels/"})
    """
    from .controls import by_slug

    control = by_slug(slug)
    if control is None:
        raise PolicyError(f"{slug!r} is not a control slug (see docs/controls.md)", field="slug")
    if not control.waivable:
        raise PolicyError(f"{slug!r} cannot be waived (see docs/waivers.md)", field="slug")
    if not isinstance(reason, str) or not reason.strip():
        raise PolicyError(f"waiving {slug!r} needs a written reason", field="reason")
    reason = reason.strip()
    record: dict[str, object] = {"event": "waiver", "control": slug, "reason": reason}
    if inputs is None:
        _audit.info("waiver %s: %s", slug, reason, extra={"safeai": record})
        token = _scoped.set(MappingProxyType({**_scoped.get(), slug: reason}))
        try:
            yield
        finally:
            _scoped.reset(token)
        return
    waiver = InputWaiver(slug, reason, _locations(slug, inputs))
    record["inputs"] = [f"s3://{bucket}/{prefix}" for bucket, prefix in waiver.locations]
    _audit.info("waiver %s for %s: %s", slug, record["inputs"], reason, extra={"safeai": record})
    inputs_token = _scoped_inputs.set((*_scoped_inputs.get(), waiver))
    try:
        yield
    finally:
        _scoped_inputs.reset(inputs_token)


def _locations(slug: str, inputs: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The ``(bucket, prefix)`` pairs of ``inputs``, checked: a scoped waiver must name S3
    locations, and only a control checked on a job's S3 data takes them."""
    from ._inputs import parse_s3_uri

    if not (slug.endswith(_INPUT_CONTROLS_SUFFIX) or slug == _POSTURE):
        raise PolicyError(
            f"{slug!r} is not checked on S3 inputs: only <family>.pii and s3.posture waivers "
            "take inputs=",
            field="inputs",
        )
    if isinstance(inputs, str) or not inputs:
        raise PolicyError(
            f"inputs= takes a list of s3:// locations, found {inputs!r}", field="inputs"
        )
    locations: list[tuple[str, str]] = []
    for uri in inputs:
        parsed = parse_s3_uri(uri) if isinstance(uri, str) else None
        if parsed is None:
            raise PolicyError(f"{uri!r} is not an s3://bucket/prefix location", field="inputs")
        if slug == _POSTURE and parsed[1]:
            raise PolicyError(
                f"{uri!r}: a bucket's posture is the whole bucket's; name it as s3://bucket",
                field="inputs",
            )
        locations.append(parsed)
    return tuple(locations)


def active_waivers(policy: Policy) -> Mapping[str, str]:
    """The policy's waivers and those of enclosing ``waive`` blocks (the innermost reason wins)."""
    scoped = _scoped.get()
    if not scoped:
        return policy.waivers
    return {**policy.waivers, **scoped}


def active_input_waivers(control: str) -> tuple[InputWaiver, ...]:
    """The enclosing ``waive(..., inputs=...)`` blocks' waivers of ``control``, innermost last."""
    return tuple(waiver for waiver in _scoped_inputs.get() if waiver.control == control)


#: What a serverless endpoint cannot have: AWS runs Serverless Inference outside the customer's
#: VPC and without network isolation (its documented feature exclusions).
SERVERLESS_WAIVES = ("endpoint_config.serverless", "model.vpc", "model.network_isolation")


@contextmanager
def serverless(*, reason: str) -> Iterator[None]:
    """Deploy to a serverless endpoint inside the ``with`` block: one reviewed reason waives
    ``endpoint_config.serverless`` and the models' ``model.vpc`` and ``model.network_isolation``
    together, since AWS rejects a serverless endpoint whose model has either.

    >>> with safeai.serverless(reason="public demo model, no customer data; PLAT-7"):
    ...     model.deploy(serverless_inference_config=ServerlessInferenceConfig())
    """
    with ExitStack() as stack:
        for slug in SERVERLESS_WAIVES:
            stack.enter_context(waive(slug, reason=reason))
        yield
