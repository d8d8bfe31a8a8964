"""Progress on the terminal while a command runs."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def _step(args, text: str):
    if args.quiet or args.json:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(text):
        yield
