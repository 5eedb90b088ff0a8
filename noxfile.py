"""Developer tasks: `nox -l` lists them."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

PATHS = ["jwasync", "tests", "benchmarks", "noxfile.py"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (unit and end-to-end against the fake API)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff (changes nothing)."""
    session.install("ruff")
    session.run("ruff", "check", *PATHS)
    session.run("ruff", "format", "--check", *PATHS)


@nox.session
def fmt(session: nox.Session) -> None:
    """Format the code and apply safe lint fixes."""
    session.install("ruff")
    session.run("ruff", "format", *PATHS)
    session.run("ruff", "check", "--fix", *PATHS)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package with mypy --strict."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Run the budget and upload benchmarks against the fake API (minutes)."""
    session.install("-e", ".[dev]")
    session.run("python", "benchmarks/budget.py", *session.posargs)
    session.run("python", "benchmarks/upload.py")
