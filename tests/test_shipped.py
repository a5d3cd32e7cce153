"""What ships: one set of starter files, and a wheel that carries everything the program reads.

The repository root's ``rules.toml`` and ``templates/`` are the ones a reader of the repository
edits and the tests use; ``inbox_agent/starter/`` holds what ``inbox-agent init`` writes and
``demo`` reads, inside the package: symbolic links to the root's, followed when the wheel is
built. Should the links ever become copies, these tests keep them byte for byte equal.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "inbox_agent" / "starter"


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_the_starter_rules_are_the_repositorys_rules() -> None:
    assert (STARTER / "rules.toml").read_bytes() == (ROOT / "rules.toml").read_bytes(), (
        "rules.toml and inbox_agent/starter/rules.toml differ: copy the edited one over the other"
    )


def test_the_starter_templates_are_the_repositorys_templates() -> None:
    ours, shipped = files(ROOT / "templates"), files(STARTER / "templates")
    assert sorted(ours) == sorted(shipped)
    assert [n for n in ours if ours[n] != shipped[n]] == []


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of what a source checkout holds (no build/ left behind)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "inbox_agent", source / "inbox_agent",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(out), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    [built] = out.glob("inbox_agent-*.whl")
    return built


def test_the_wheel_carries_the_code_samples_starter_and_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {str(p.relative_to(ROOT)) for p in (ROOT / "inbox_agent").rglob("*.py")}
    assert package <= names, f"modules missing from the wheel: {sorted(package - names)}"
    samples = {
        f"inbox_agent/samples/{p.name}" for p in (ROOT / "inbox_agent" / "samples").glob("*.eml")
    }
    assert samples and samples <= names
    starter = {f"inbox_agent/starter/{n}" for n in files(STARTER)}
    assert "inbox_agent/starter/rules.toml" in starter and starter <= names
    assert "inbox_agent/py.typed" in names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
