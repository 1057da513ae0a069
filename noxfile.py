"""Developer sessions. `nox` runs the default ones: lint, typecheck, tests, examples, sdk, aio,
docs.

`nox -s bench` (the benchmark figures) runs only when asked for.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests", "examples", "sdk", "aio", "docs"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
TEST_DEPENDENCIES = ("pytest>=8", "hypothesis>=6.100", "ipython>=8")
STUBS = ("boto3-stubs[sagemaker,s3,sts,iam,kms,ec2]>=1.40", "botocore-stubs>=1.40")
SDK_MAJORS = {"v2": "sagemaker>=2.200,<3", "v3": "sagemaker>=3,<4"}
#: The async and CRT doors: aiobotocore pins botocore below the newest release (which the tests
#: session installs), so they have a venv of their own.
ASYNC_DEPENDENCIES = ("aiobotocore>=2.13", "s3fs>=2024.6", "pandas>=2.2", "boto3[crt]")
RUFF = "ruff==0.17.6"
# mkdocstrings renders docs/api.md from the docstrings (and formats signatures with ruff).
DOCS_DEPENDENCIES = ("mkdocs-material>=9.5", "mkdocstrings[python]>=1.0", RUFF)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install(RUFF)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the library, tests, benchmarks and examples."""
    session.install(".[sandbox,notebook]", "mypy>=1.13", *STUBS, *TEST_DEPENDENCIES, "nox")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit and functional tests: real boto3 clients against moto in server mode."""
    session.install(".[sandbox]", *TEST_DEPENDENCIES)
    session.run("pytest", *session.posargs)


@nox.session
def examples(session: nox.Session) -> None:
    """Every example under examples/ and `safeai demo`, against the offline sandbox."""
    # pandas and s3fs: examples/pandas_s3.py writes a DataFrame through the guard.
    session.install(".[sandbox,notebook]", "pandas>=2.2", "s3fs>=2024.6")
    for script in sorted([*ROOT.glob("examples/*.py"), *ROOT.glob("examples/*.ipynb")]):
        session.run("python", "-m", "safeai.testing", str(script.relative_to(ROOT)))
    session.run("safeai", "demo")


@nox.session
@nox.parametrize("major", list(SDK_MAJORS))
def sdk(session: nox.Session, major: str) -> None:
    """SageMaker Python SDK integration, once with the newest v2 and once with the newest v3."""
    session.install(".[sandbox]", SDK_MAJORS[major], *TEST_DEPENDENCIES)
    session.run("pytest", "tests/integration", "-m", "sdk", "-p", "no:cacheprovider")


@nox.session
def aio(session: nox.Session) -> None:
    """aiobotocore clients, s3fs and pandas writes, and boto3's CRT transfer manager, guarded."""
    session.install(".[sandbox]", *ASYNC_DEPENDENCIES, *TEST_DEPENDENCIES)
    session.run("pytest", "tests/integration/test_async_clients.py", "-p", "no:cacheprovider")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: print figures (ratios against a baseline measured in the same run)."""
    # presidio-analyzer: the baseline of the local PII scanner's benchmark (no spaCy model).
    # s3fs: bench_s3fs.py's guarded and raw file systems.
    session.install(".[sandbox]", "presidio-analyzer>=2.2.366", "s3fs>=2024.6")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script.relative_to(ROOT)), *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Check the generated control reference and build the site strictly (any warning fails,
    a broken link or anchor, a missing snippet, a docstring mkdocstrings cannot render)."""
    session.install(".", *DOCS_DEPENDENCIES)
    session.run("python", "-m", "safeai.controls._reference", "--check")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(ROOT / "site"))
