"""The suite is hermetic: nothing reads data from outside the repository, and the real datasets it ships as test
data (tests/data/real) match the provenance note in their README.md, byte for byte."""

import csv
import hashlib
import importlib.util
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL = Path(__file__).resolve().parent / "data" / "real"
SCANNED = ("tests", "examples", "paper", "benchmarks")
TEXT = (".py", ".md", ".md.in")  # Python and Markdown (paper/paper.md.in is a Markdown template)
NOT_DATA = {"README.md", ".gitattributes"}

# A path that climbs out of the repository into a sibling data checkout, in every spelling used so far: a relative
# path string or Markdown link, a slash-joined data folder, a pathlib join with the folder name as a segment, or the
# name passed to os.path.join / Path(...).
FORBIDDEN = re.compile(
    r"\.\.[\\/]+shared\b"
    r"|\bshared[\\/]+data\b"
    r"|['\"]shared['\"]\s*/"
    r"|/\s*['\"]shared['\"]"
    r"|\b(?:join|Path|PurePath)\([^)]*['\"]shared['\"]"
)
# Table row of tests/data/real/README.md: | `file.csv` | rows | licence | `sha256` |
ENTRY = re.compile(r"^\|\s*`(?P<file>[^`/]+)`\s*\|\s*(?P<rows>\d+)\s*\|"
                   r"(?P<licence>.*)\|\s*`(?P<sha>[0-9a-f]{64})`\s*\|$")


def scanned_files() -> list[Path]:
    return sorted(p for top in SCANNED for p in (REPO / top).rglob("*")
                  if p.is_file() and p.name.endswith(TEXT) and "__pycache__" not in p.parts)


def readme_entries() -> dict[str, dict]:
    lines = (REAL / "README.md").read_text(encoding="utf-8").splitlines()
    return {m["file"]: m.groupdict() for m in map(ENTRY.match, lines) if m}


def test_the_pattern_catches_the_old_spellings_and_spares_prose():
    word = "sha" + "red"  # assembled, so that this file does not trip its own scan
    leaks = [f'DATA = Path(__file__).resolve().parents[2] / "{word}" / "data" / "real"',
             f'REAL = REPO / ".." / "{word}" / "data" / "real"',
             f"``DATA_DIR`` defaults to ``../{word}/data/real`` next to the repository",
             f'os.path.join(REPO, "..", "{word}", "data")',
             f'Path("..", "{word}")',
             f"[domain facts](../../{word}/reference/domain-facts.md)",
             f"..\\{word}\\data\\real"]
    assert all(FORBIDDEN.search(line) for line in leaks)
    fine = ["the metric suite from one shared sort per row", "The shared-sort path", 'lock = "shared"',
            "a shared file system", 'Path("tests") / "data" / "real"']
    assert not any(FORBIDDEN.search(line) for line in fine)


def test_no_file_reaches_outside_the_repository():
    files = scanned_files()
    # Not vacuous: every scanned folder contributes, and the former offenders and this note are among the files.
    assert {p.relative_to(REPO).parts[0] for p in files} == set(SCANNED)
    assert len(files) >= 40
    names = {p.relative_to(REPO).as_posix() for p in files}
    assert names >= {"tests/test_metrics.py", "tests/test_presets.py", "tests/test_hermetic.py",
                     "examples/real_data_concentration.py", "examples/yuma_bittensor_snapshot.py",
                     "tests/data/real/README.md", "paper/paper.md.in"}
    leaks = [f"{p.relative_to(REPO)}:{n}: {line.strip()}" for p in files
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if FORBIDDEN.search(line)]
    assert not leaks, "paths outside the repository (use tests/data/real):\n" + "\n".join(leaks)


def test_every_real_dataset_matches_its_readme():
    entries = readme_entries()
    on_disk = {p.name: p for p in REAL.iterdir() if p.is_file() and p.name not in NOT_DATA}
    assert len(entries) >= 5 and len(on_disk) >= 5  # not vacuous
    assert set(entries) == set(on_disk), "README.md table and files of tests/data/real differ"
    for name, entry in entries.items():
        data = on_disk[name].read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha"], f"{name}: SHA-256 differs from README.md"
        with on_disk[name].open(newline="", encoding="utf-8") as handle:
            assert sum(1 for _ in csv.reader(handle)) - 1 == int(entry["rows"]), f"{name}: row count"
        assert entry["sha"] in (REAL / "README.md").read_text(encoding="utf-8").split("## ", 1)[1], (
            f"{name}: its section of README.md does not repeat the SHA-256 of the table")


def test_gpl_test_data_stays_out_of_the_package():
    entries = readme_entries()
    assert "GPL-2" in entries["ilocos_income.csv"]["licence"] and "GPL-3" in entries["ilocos_income.csv"]["licence"]
    assert "test data only" in (REAL / "README.md").read_text(encoding="utf-8")
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert setuptools["packages"]["find"]["include"] == ["fairshare*"]
    shipped = repr([setuptools.get(key) for key in ("package-data", "exclude-package-data", "data-files")])
    assert "tests" not in shipped and not any(name in shipped for name in entries)
    assert not [p for p in (REPO / "fairshare").rglob("*") if p.name in entries]


def test_examples_default_to_the_repository_data():
    for script in ("real_data_concentration.py", "yuma_bittensor_snapshot.py"):
        spec = importlib.util.spec_from_file_location(script[:-3], REPO / "examples" / script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert module.DEFAULT_DATA.resolve() == REAL
