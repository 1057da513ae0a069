"""The notebook door: ``%load_ext safeai`` and ``%safeai status``.

Loading the extension reads the policy (``safeai.Policy.load()``), switches the process-wide
guard on, teaches IPython to show decisions and refusals as HTML tables, and prints one line.
``%safeai status`` shows the policy, what is guarded, the waivers and the last decisions, as
HTML in Jupyter and as text elsewhere. Needs IPython (``pip install 'safeai[notebook]'``);
nothing here is imported by ``import safeai``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._audit import Collector
from ._decisions import Decision
from ._display import decisions_html, violation_html
from ._exceptions import SecurityViolation
from ._hooks import GuardHandle, active_handles, guard, unguard
from ._policy import Policy

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Status", "load_ipython_extension", "unload_ipython_extension"]

_RECENT = 20


@dataclass
class _Kernel:
    handle: GuardHandle | None = None
    recent: Collector = field(default_factory=lambda: Collector(keep=_RECENT))


_kernel = _Kernel()


def _decision_html(decision: Decision) -> str:
    return decisions_html([decision])


#: How safeai's records look in a notebook. The records know nothing of notebooks: this door
#: registers their HTML with IPython's display formatter while the extension is loaded.
_HTML_FORMS: tuple[tuple[type[Any], Callable[[Any], str]], ...] = (
    (Decision, _decision_html),
    (SecurityViolation, violation_html),
)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext safeai``: load the policy, guard the process, register the HTML forms of
    decisions and refusals, and print a one-line status."""
    if _kernel.handle is not None and _kernel.handle.active:
        print(_one_line(_kernel.handle.policy, already=True))
        return
    policy = Policy.load()
    _kernel.recent.attach()
    _kernel.handle = guard(policy)
    ipython.register_magic_function(_magic, magic_kind="line", magic_name="safeai")
    formatter = ipython.display_formatter.formatters["text/html"]
    for kind, render in _HTML_FORMS:
        formatter.for_type(kind, render)
    print(_one_line(policy, already=False))


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext safeai``: switch the guard this extension started off again, and forget
    the HTML forms it registered."""
    if _kernel.handle is not None:
        unguard(_kernel.handle)
        _kernel.handle = None
    _kernel.recent.detach()
    formatter = ipython.display_formatter.formatters["text/html"]
    for kind, _ in _HTML_FORMS:
        formatter.pop(kind, None)


def _one_line(policy: Policy, *, already: bool) -> str:
    verb = "already guarding" if already else "guarding"
    region = policy.effective_region or "any region"
    return (
        f"safeai: {verb} every SageMaker client in this kernel (mode {policy.mode}, {region}, "
        f"role {policy.execution_role_arn or 'unset'}); %safeai status for details"
    )


def _magic(line: str) -> Status:
    command = line.strip() or "status"
    if command != "status":
        raise ValueError(f"%safeai {command}: unknown; try %safeai status")
    return Status(
        policy=_kernel.handle.policy if _kernel.handle else None,
        guards=active_handles(),
        recent=list(_kernel.recent.records),
    )


@dataclass(frozen=True)
class Status:
    """What ``%safeai status`` shows: the policy, the guards in force, the last requests."""

    policy: Policy | None
    guards: list[GuardHandle]
    recent: list[dict[str, Any]]

    def _rows(self) -> list[tuple[str, str]]:
        policy = self.policy
        if policy is None:
            return [("guard", "off: %load_ext safeai switches it on")]
        return [
            ("mode", policy.mode + "".join(f", {s}={m}" for s, m in policy.modes.items())),
            ("execution role", policy.execution_role_arn or "unset"),
            ("KMS key", policy.kms_key_id or "unset"),
            ("subnets", ", ".join(policy.subnets) or "unset"),
            ("security groups", ", ".join(policy.security_group_ids) or "unset"),
            ("preflight", "on" if policy.preflight else "off"),
            ("tags", ", ".join(f"{k}={v}" for k, v in policy.tags.items()) or "none"),
            ("waivers", "; ".join(f"{s}: {r}" for s, r in policy.waivers.items()) or "none"),
            ("guards", ", ".join(f"{g.scope} ({g.policy.mode})" for g in self.guards) or "none"),
        ]

    def _requests(self) -> list[tuple[str, str, str, list[Decision]]]:
        return [
            (
                str(record.get("operation")),
                str(record.get("resource") or ""),
                str(record.get("outcome")),
                [Decision.from_dict(d) for d in record.get("decisions", [])],
            )
            for record in self.recent
        ]

    def __repr__(self) -> str:
        width = max(len(name) for name, _ in self._rows())
        lines = [f"{name:<{width}}  {value}" for name, value in self._rows()]
        for operation, resource, outcome, decisions in self._requests():
            lines.append(f"{outcome:<9} {operation} {resource}")
            lines += [f"    {d.outcome:<12} {d.control:<36} {d.path}" for d in decisions]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
            f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
            for name, value in self._rows()
        )
        requests = "".join(
            f"<h4>{html.escape(outcome)}: {html.escape(operation)} {html.escape(resource)}</h4>"
            + decisions_html(decisions)
            for operation, resource, outcome, decisions in self._requests()
        )
        return f"<h3>safeai</h3><table>{rows}</table>{requests}"
