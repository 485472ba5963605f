"""The repository stands alone: its README and docs link only to files inside it, and nothing in
it points at material outside it (the contract lives in docs/contract.md) or tags code with
tracker references that a reader of the repository cannot open (git history keeps those)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
# Spelled in pieces so that this file does not match itself.
OUTSIDE_PATH = re.compile("\\.\\./" + "shared")
TRACKER_TAG = re.compile(r"\b(?:SPEC" + r" ?§|[Ii]ssues? #?\d)")
TEXT_SUFFIXES = {
    ".py",
    ".md",
    ".sql",
    ".txt",
    ".yaml",
    ".yml",
    ".toml",
    ".html",
    ".json",
    ".sh",
    ".cfg",
}


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    paths = [ROOT / name for name in names]
    return [p for p in paths if p.suffix in TEXT_SUFFIXES or p.name in {"Makefile", "Dockerfile"}]


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_markdown_links_stay_inside_the_repository_and_resolve():
    broken = []
    for doc in documents():
        for target in MARKDOWN_LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # web addresses and anchors are not files
            path = (doc.parent / target.split("#")[0]).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert broken == []


def test_nothing_points_outside_the_repository():
    hits = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in tracked_text_files()
        if p.exists()
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if OUTSIDE_PATH.search(line)
    ]
    assert hits == []


def test_no_tracker_tags_in_the_tree():
    hits = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()[:80]}"
        for p in tracked_text_files()
        if p.exists()
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if TRACKER_TAG.search(line)
    ]
    assert hits == []


def test_the_standalone_checks_can_fail(tmp_path):
    assert OUTSIDE_PATH.search("see " + "../" + "shared/x.md")
    assert TRACKER_TAG.search("as SPEC" + " §2 says") and TRACKER_TAG.search(
        "fixed in issue" + " 17"
    )
    assert not TRACKER_TAG.search("the issues of a run")
