"""The repo's documents: every file the code or the docs name is in the repo, and every relative link resolves."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

SKIPPED = {".git", ".ci", "node_modules", "build", "dist", "__pycache__", ".venv", ".pytest_cache", ".hookdev"}
TEXT = (".py", ".md", ".toml", ".tcss")
MENTION = re.compile(r"(?<![\w/.:-])((?:[\w-]+/)*[\w-]+\.md)\b")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def text_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if path.is_file() and path.suffix in TEXT and not parts & SKIPPED and not any(
            p.endswith(".egg-info") for p in parts
        ):
            found.append(path)
    return sorted(found)


def exists_for(path: Path, name: str) -> bool:
    """Named beside the file, from the repo's top, in docs/, or (package data in pyproject) in the package.

    A path whose folder is not in this repo (`docs/guides/…/sample-app.md` of Okta's documentation repository,
    cited as a source) is another repository's and is not checked; a bare name or a folder of ours must exist.
    """
    bases = (path.parent, ROOT, ROOT / "docs", ROOT / "hookdev")
    folder = Path(name).parent
    if folder != Path(".") and not any((base / folder).is_dir() for base in bases):
        return True
    return any((base / name).exists() for base in bases)


def test_every_document_named_is_in_the_repo() -> None:
    missing = [(str(path.relative_to(ROOT)), name) for path in text_files()
               for name in MENTION.findall(path.read_text(encoding="utf-8")) if not exists_for(path, name)]
    assert missing == []


def test_relative_links_in_the_documents_resolve() -> None:
    broken = [(str(path.relative_to(ROOT)), link) for path in text_files() if path.suffix == ".md"
              for link in LINK.findall(path.read_text(encoding="utf-8"))
              if "://" not in link and not (path.parent / link).exists()]
    assert broken == []


def test_the_checks_see_real_mentions_and_links() -> None:
    # Guard against patterns that match nothing: these are known to be there.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "BENCHMARKS.md" in MENTION.findall(readme) and "hookdev/sample_payloads/README.md" in LINK.findall(readme)


def test_the_repo_has_its_documents() -> None:
    for name in ("LICENSE", "CHANGELOG.md", "CONTRIBUTING.md", "docs/architecture.md", "docs/interface.md",
                 "docs/okta-hooks.md"):
        assert (ROOT / name).is_file(), name
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
