"""The docstring examples of every public module run and give what they show.

Public modules are ``fairshare`` and every module under it whose dotted path has
no component starting with ``_`` (the walk of ``tests/test_docstrings.py``).
Examples marked ``# doctest: +SKIP`` (slow, or needing data a reader supplies)
are not run; the rest must pass with NORMALIZE_WHITESPACE and ELLIPSIS.
"""

import doctest
import time

import pytest

from tests.public_api import public_modules

FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


@pytest.fixture(scope="module")
def doctest_results():
    start = time.perf_counter()
    results = {}
    for module in public_modules():
        finder = doctest.DocTestFinder(exclude_empty=True)
        runner = doctest.DocTestRunner(optionflags=FLAGS)
        failures = []
        for test in finder.find(module, module.__name__):
            out, before = [], runner.failures
            runner.run(test, out=out.append)
            if runner.failures > before:
                failures.append("".join(out))
        results[module.__name__] = (runner.tries, runner.failures, failures)
    return results, time.perf_counter() - start


def test_docstring_examples_pass(doctest_results):
    results, seconds = doctest_results
    attempted = sum(tries for tries, _, _ in results.values())
    failed = {name: reports for name, (_, n, reports) in results.items() if n}
    print(f"\n{attempted} doctest examples run in {len(results)} public modules, {seconds:.1f} s")
    assert attempted > 0, "no docstring example ran: the walk over fairshare's public modules found none"
    assert not failed, "failing docstring examples:\n" + "\n".join(
        f"--- {name}\n" + "\n".join(reports) for name, reports in failed.items())
