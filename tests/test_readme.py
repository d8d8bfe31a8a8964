"""README.md stays true: two quickstart commands, a schema row for every column."""

import re
from pathlib import Path

from fairshare.data.schema import TABLES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def quickstart_lines():
    block = README.split("<!-- quickstart", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.strip().splitlines() if line.strip()]


def test_quickstart_has_exactly_two_commands():
    lines = quickstart_lines()
    assert len(lines) == 2
    assert "fairshare demo" in lines[0] and "pip install ." in lines[0]
    assert '".[test]"' in lines[1] and "pytest" in lines[1]


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "README.md" in ci and "pytest" not in ci.replace("pytest's", "")


def test_schema_documents_every_column():
    for table, columns in TABLES.items():
        for column in columns:
            assert re.search(rf"`{column.name}`", README), f"README does not document {table}.{column.name}"


def test_every_call_with_a_client_in_the_readme_takes_one():
    import inspect

    import fairshare as fs

    calls = re.findall(r"fs\.(\w+)\([^\n]*client=client", README)
    assert {"aggregate", "evaluate", "simulate", "frontier"} <= set(calls)
    for name in calls:
        assert "client" in inspect.signature(getattr(fs, name)).parameters, name
    assert "client" in inspect.signature(fs.History.validate).parameters
