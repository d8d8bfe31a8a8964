"""CHANGELOG.md stays true: every import and name it gives as the new home resolves, old module paths fail."""

import importlib
import re
import warnings
from pathlib import Path

import pytest

CHANGELOG = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text()


def table_cells(heading: str, column: int) -> list[str]:
    """Backticked strings of one column of the first table after ``heading``."""
    section = CHANGELOG.split(heading, 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("|---")]
    out = []
    for row in rows[1:]:  # the header row first
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        if len(cells) > column:
            out += re.findall(r"`([^`]+)`", cells[column])
    return out


def resolve(path: str):
    """The object or module a dotted ``fairshare...`` path names."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(path)


MOVED = table_cells("### Package layout", 1)
RENAMED = table_cells("### Renamed names", 1)


def test_the_tables_were_read():
    assert len(MOVED) > 25 and len(RENAMED) == 5


@pytest.mark.parametrize("text", [t for t in MOVED + RENAMED if t.startswith(("from fairshare", "fairshare."))])
def test_every_new_home_resolves(text):
    if text.startswith("from fairshare.optimization.<module>"):  # the row names the modules in its first cell
        for module in ("basis", "constraints", "objectives", "oracle", "paths", "problem", "result", "diagnostics",
                       "share_constraints"):
            importlib.import_module(f"fairshare.optimization.{module}")
    elif "<" in text or text.endswith("..."):  # `from fairshare.x import <anything>`: the module must import
        importlib.import_module(text.split()[1])
    elif text.startswith("from "):
        exec(text, {})
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a new home never warns
            resolve(text.split()[0])


@pytest.mark.parametrize("old", ["fairshare.optimize", "fairshare.simulate", "fairshare.evaluate",
                                 "fairshare._simulate_config", "fairshare._metrics_concentration"])
def test_old_module_paths_fail_plainly(old):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(old)
    import fairshare as fs

    assert callable(fs.optimize) and callable(fs.simulate) and callable(fs.evaluate)
