"""Sources live inside the repository: every cited key resolves, nothing points outside it.

Code, docs and reports cite primary sources as ``[sources: key, key]``; the keys are the rows of
the bibliography ``docs/sources.md``. A file a user of fairshare does not have (the research notes
of the project's authors, in a folder beside the repository) is never cited, linked or read.
"""

import re
from pathlib import Path

import pytest

import fairshare as fs

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"
#: What is checked: the package, the docs, the examples, the paper sources, the README and the tests (but the
#: two test files that spell the forbidden patterns out on purpose).
SCANNED = [ROOT / "fairshare", ROOT / "docs", ROOT / "examples", ROOT / "paper", ROOT / "README.md", ROOT / "tests"]
SELF = {Path(__file__).resolve(), ROOT / "tests" / "test_hermetic.py"}
SUFFIXES = {".py", ".md", ".in", ".txt", ".toml", ".json", ".yaml", ".yml", ".tex", ".bib", ".cfg"}
CITATION = re.compile(r"\[sources:\s*([^\]]+)\]")
#: Ways of pointing at the authors' research notes, which are not part of the repository.
_UP = r"\.\./"  # a path climbing out of the repository
OUTSIDE = re.compile(_UP + r"shared|shared/reference|domain-facts|opengradient-and-appendix-practice")


def bibliography_keys(text: str) -> set[str]:
    """Keys of the bibliography table: the first cell of each row, in backticks."""
    return set(re.findall(r"^\|\s*`([a-z0-9][a-z0-9.\-]*)`\s*\|", text, flags=re.MULTILINE))


def scanned_files():
    for base in SCANNED:
        paths = [base] if base.is_file() else sorted(base.rglob("*"))
        for p in paths:
            if (p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts and "build" not in p.parts
                    and p.resolve() not in SELF and "data" not in p.relative_to(ROOT).parts[:2]):
                yield p


def cited_keys(text: str) -> list[str]:
    return [k.strip() for group in CITATION.findall(text) for k in re.split(r"[,;]", group) if k.strip()]


def test_bibliography_has_unique_keys_and_a_header():
    text = SOURCES.read_text()
    rows = re.findall(r"^\|\s*`([^`]+)`\s*\|", text, flags=re.MULTILINE)
    assert len(rows) == len(set(rows)), sorted(k for k in rows if rows.count(k) > 1)
    assert "[sources: key]" in text.split("| key |")[0]          # the header explains the citation form
    assert {"og-svip-doc", "og-tee-gateway", "og-mainnet-genesis", "azure-llm-trace-2023"} <= set(rows)


def test_every_cited_key_resolves():
    keys = bibliography_keys(SOURCES.read_text())
    unknown = []
    for p in scanned_files():
        for key in cited_keys(p.read_text(errors="replace")):
            if key not in keys and key != "key":        # "[sources: key]" explains the form itself
                unknown.append(f"{p.relative_to(ROOT)}: {key}")
    assert not unknown, "cited keys missing from docs/sources.md:\n" + "\n".join(unknown)


def test_nothing_cites_or_reads_files_outside_the_repository():
    offenders = []
    for p in scanned_files():
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{p.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    assert not offenders, "cite a key of docs/sources.md instead:\n" + "\n".join(offenders)


def test_the_check_sees_what_it_is_meant_to_see():
    assert cited_keys("a [sources: og-svip-doc, og-sdk] b [sources:x]") == ["og-svip-doc", "og-sdk", "x"]
    assert OUTSIDE.search("see " + ".." + "/" + "shared/reference/x.md") and OUTSIDE.search("domain-facts.md")
    assert not OUTSIDE.search("a shared file system")
    assert bibliography_keys("| `a-b` | x |\n| `c.d` | y |\n| key | source |") == {"a-b", "c.d"}


@pytest.mark.parametrize("factory", ["open_inference_network", "opengradient_2026"])
def test_generated_reports_cite_keys_only(factory):
    from fairshare.report import build_report

    h = getattr(fs.datasets, factory)(seed=0, scale="small")
    ev = fs.evaluate(h, {"baseline": h.baseline}, trend_resamples=20)
    md = build_report(h, ev).markdown()
    assert not OUTSIDE.search(md)
    keys = bibliography_keys(SOURCES.read_text())
    assert set(cited_keys(md)) - {"key"} <= keys
