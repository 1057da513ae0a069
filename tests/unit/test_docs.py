"""The documentation stays true to the code: the generated control reference is current, every
file the pages include exists, every public name is in the generated API reference, the README's
example is the file CI runs, and the lists of controls no waiver relaxes are the catalogue's.
(The limits sections are checked in ``test_docs_limits.py``.)
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


API = (DOCS / "api.md").read_text(encoding="utf-8")
# `::: safeai.X`: mkdocstrings renders X from its docstrings (mkdocs.yml configures it).
_RENDERED = set(re.findall(r"^::: (\S+)\s*$", API, flags=re.MULTILINE))


@pytest.mark.parametrize("name", safeai.__all__)
def test_public_name_is_rendered_in_the_api_page(name: str) -> None:
    assert f"safeai.{name}" in _RENDERED, f"docs/api.md has no `::: safeai.{name}` block"


@pytest.mark.parametrize(
    "module",
    [
        "safeai.iam",
        "safeai.s3",
        "safeai.pii",
        "safeai.controls",
        "safeai.testing",
        "safeai.ipython",
    ],
)
def test_public_module_is_rendered_in_the_api_page(module: str) -> None:
    assert module in _RENDERED, f"docs/api.md has no `::: {module}` block"


def test_api_page_is_generated_by_mkdocstrings() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+- mkdocstrings:", config, flags=re.MULTILINE)
    assert "`safeai.__version__`" in API


# -- the README's example ---------------------------------------------------------------------

README = (ROOT / "README.md").read_text(encoding="utf-8")
_README_EXAMPLE = ROOT / "examples" / "readme.py"


def _fenced(text: str, after: str, language: str) -> str:
    """The first ```language block after the line ``after``."""
    start = text.index(f"```{language}\n", text.index(after)) + len(f"```{language}\n")
    return text[start : text.index("\n```", start)]


def test_the_readme_example_is_the_file_ci_runs() -> None:
    source = _README_EXAMPLE.read_text(encoding="utf-8")
    match = re.search(
        r"# --8<-- \[start:readme\]\n(.*?)\n# --8<-- \[end:readme\]", source, flags=re.DOTALL
    )
    assert match, "examples/readme.py lost its readme section markers"
    assert _fenced(README, "## Use it", "python") == match.group(1), (
        "README.md's 'Use it' snippet differs from examples/readme.py: copy the section over"
    )


def test_the_readme_and_the_overview_show_the_same_output() -> None:
    overview = (DOCS / "index.md").read_text(encoding="utf-8")
    printed = _fenced(README, "## Use it", "text")
    assert "refused" in printed
    assert _fenced(overview, '--8<-- "examples/readme.py:readme"', "text") == printed


# -- controls no waiver relaxes ---------------------------------------------------------------

# Where a page lists them: the page and a phrase of the sentence (or table row) that does.
_UNWAIVABLE_LISTS = [
    ("engine.md", "| `waivable` |"),
    ("waivers.md", "cannot be waived: a waiver naming one"),
    ("guard.md", "none of the three can be waived"),
]


@pytest.mark.parametrize(("page", "phrase"), _UNWAIVABLE_LISTS)
def test_the_controls_no_waiver_relaxes_are_the_catalogues(page: str, phrase: str) -> None:
    from safeai.controls import CATALOGUE

    # The paragraph, or the table row, that holds the phrase.
    units: list[str] = []
    for block in (DOCS / page).read_text(encoding="utf-8").split("\n\n"):
        rows = block.splitlines()
        units.extend(rows if rows and rows[0].startswith("|") else [" ".join(block.split())])
    [unit] = [u for u in units if phrase in u]
    listed = set(re.findall(r"`(client\.[a-z_]+)`", unit))
    assert listed == {c.slug for c in CATALOGUE if not c.waivable}, f"docs/{page}"
