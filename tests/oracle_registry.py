"""Which comparison test exercises which kernel oracle: one registry per ``ORACLES`` dictionary."""

from __future__ import annotations

from collections.abc import Callable


class Comparisons(dict):
    """``ORACLES`` key -> the tests comparing that kernel with its oracle (filled at import by the decorator)."""

    def __call__(self, *keys: str) -> Callable:
        """Decorator: register the test as a comparison of the kernels ``keys`` with their oracles."""
        def register(test):
            for key in keys:
                self.setdefault(key, []).append(test)
            return test
        return register
