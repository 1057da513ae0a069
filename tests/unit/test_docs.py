"""The documentation stays true to the code: the generated control reference is current, every
file the pages include exists, and every public name is documented.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import safeai
from safeai.controls import _reference

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))

# `--8<-- "path"` (or 'path') on one line, as pymdownx.snippets reads it; `;--8<--` is an escape.
_INLINE = re.compile(r"""^\s*-{1,}8<-{1,}\s+(["'])(?P<target>[^"']+)\1\s*$""")
# The block form: a line with only the marker, file names one per line, a closing marker.
_BLOCK_MARKER = re.compile(r"^\s*-{1,}8<-{1,}\s*$")
_SECTION = re.compile(r"-{1,}8<-{1,}\s*\[start:(?P<name>[^\]]+)\]")


def _includes(page: Path) -> list[str]:
    targets: list[str] = []
    in_block = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if _BLOCK_MARKER.match(line):
            in_block = not in_block
            continue
        if in_block:
            if line.strip() and not line.lstrip().startswith(";"):
                targets.append(line.strip())
            continue
        match = _INLINE.match(line)
        if match:
            targets.append(match.group("target"))
    return targets


def _split(target: str) -> tuple[str, str | None]:
    """``examples/x.py:audit`` -> (``examples/x.py``, ``audit``); line ranges give no section."""
    path, _, selector = target.partition(":")
    if not selector or re.fullmatch(r"[\d:,-]*", selector):
        return path, None
    return path, selector


ALL_INCLUDES = [(page.name, target) for page in PAGES for target in _includes(page)]


def test_control_reference_is_current() -> None:
    page = DOCS / "controls.md"
    assert page.read_text(encoding="utf-8") == _reference.render(), (
        "docs/controls.md is stale: run `python -m safeai.controls._reference`"
    )


def test_reference_check_mode(tmp_path: Path) -> None:
    output = tmp_path / "controls.md"
    assert _reference.main(["--check", "--output", str(output)]) == 1
    assert _reference.main(["--output", str(output)]) == 0
    assert _reference.main(["--check", "--output", str(output)]) == 0
    output.write_text(output.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    assert _reference.main(["--check", "--output", str(output)]) == 1


def test_reference_names_every_control_and_out_of_scope_entry() -> None:
    from safeai.controls import CATALOGUE, OUT_OF_SCOPE

    text = _reference.render()
    for control in CATALOGUE:
        assert f"### {control.slug} " in text
    for entry in OUT_OF_SCOPE:
        assert f"| `{entry.operation}` | `{entry.path}` |" in text


def test_pages_include_something() -> None:
    assert ALL_INCLUDES, "no snippet includes found: the pattern no longer matches the pages"


@pytest.mark.parametrize(("page", "target"), ALL_INCLUDES)
def test_snippet_include_exists(page: str, target: str) -> None:
    path, section = _split(target)
    included = ROOT / path
    assert included.is_file(), f"docs/{page} includes {path}, which does not exist"
    if section is not None:
        sections = _SECTION.findall(included.read_text(encoding="utf-8"))
        assert section in sections, f"docs/{page} includes section {section!r} of {path}"


def test_every_example_is_shown_in_the_docs() -> None:
    shown = {_split(target)[0] for _, target in ALL_INCLUDES}
    for example in sorted((ROOT / "examples").glob("*.py")):
        assert f"examples/{example.name}" in shown, f"no page includes examples/{example.name}"


@pytest.mark.parametrize("name", [*safeai.__all__, "__version__"])
def test_public_name_is_in_the_api_page(name: str) -> None:
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    assert re.search(rf"`{re.escape(name)}[`(]", api), f"docs/api.md does not mention {name}"


def test_nav_lists_every_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*([\w./-]+\.md)\s*$", config, flags=re.MULTILINE))
    assert listed == {page.relative_to(DOCS).as_posix() for page in PAGES}


def test_every_policy_field_and_its_variable_are_documented() -> None:
    import dataclasses

    page = (DOCS / "policy.md").read_text(encoding="utf-8")
    names = [f.name for f in dataclasses.fields(safeai.Policy) if f.init]
    assert [name for name in names if f"| `{name}` |" not in page] == []
    variables = [f"`SAFEAI_{name.upper()}`" for name in names if name != "waivers"]
    assert [variable for variable in variables if variable not in page] == []
