"""Atomic directory writes: the one place fairshare puts a directory of files in place.

:class:`atomic_directory` hands out a hidden temporary directory beside the
target; on success it is put at the target in one step, on an error it is
removed. A reader therefore sees the old directory or the new one, never half
of one, and never nothing where something was:

* a new target is created by one ``rename``;
* an existing target is swapped with the temporary directory in one
  ``renameat2(RENAME_EXCHANGE)`` (Linux; ``renamex_np(RENAME_SWAP)`` on
  macOS), then the old contents are removed. Where the file system offers no
  exchange the old target is renamed aside first, which leaves an instant
  with neither (the only case that does).

Every temporary directory ``.<name>.fairshare-tmp-<token>`` has a sibling
marker file ``<that>.partial`` (JSON: the writing process id and host),
created before the directory and removed after everything else. A run killed
at any point (SIGKILL, power cut) leaves both; the next write into the same
parent removes every such directory whose marker names this host and a process
that no longer runs. Nothing else is ever removed.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import secrets
import shutil
import socket
import sys
from pathlib import Path

from .errors import ConfigError

__all__ = ["atomic_directory", "clean_stale", "TMP_TAG", "MARKER_SUFFIX"]

#: Part of the name of every temporary directory: ``.<target name>.fairshare-tmp-<token>``.
TMP_TAG = ".fairshare-tmp-"
#: Suffix of the marker file beside each temporary directory.
MARKER_SUFFIX = ".partial"
_MARKER_KIND = "fairshare-partial-directory"


def _exchange(a: Path, b: Path) -> bool:
    """Swap the paths ``a`` and ``b`` in one step; False where the system offers no exchange."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if sys.platform.startswith("linux"):
        call = getattr(libc, "renameat2", None)
        args = (-100, os.fsencode(a), -100, os.fsencode(b), 2)  # AT_FDCWD, ..., RENAME_EXCHANGE
    elif sys.platform == "darwin":
        call = getattr(libc, "renamex_np", None)
        args = (os.fsencode(a), os.fsencode(b), 2)  # RENAME_SWAP
    else:
        return False
    if call is None:
        return False
    if call(*args) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_stale(parent: Path) -> list[Path]:
    """Remove the temporary directories of killed fairshare writes in ``parent``; return them.

    A directory is removed only when its marker file parses as fairshare's,
    names this host, and names a process that no longer runs.

    Parameters
    ----------
    parent : pathlib.Path
        The directory whose hidden temporary siblings are checked.
    """
    removed = []
    if os.name != "posix":  # no cheap, reliable "is this process alive" test
        return removed
    try:
        markers = [p for p in Path(parent).iterdir() if p.name.startswith(".") and TMP_TAG in p.name
                   and p.name.endswith(MARKER_SUFFIX)]
    except OSError:
        return removed
    host = socket.gethostname()
    for marker in markers:
        try:
            info = json.loads(marker.read_text())
            ours = (isinstance(info, dict) and info.get("kind") == _MARKER_KIND and info.get("host") == host
                    and isinstance(info.get("pid"), int))
        except (OSError, ValueError):
            continue
        if not ours or _pid_running(info["pid"]) or info["pid"] == os.getpid():
            continue
        stem = marker.with_name(marker.name[: -len(MARKER_SUFFIX)])
        for path in (stem, stem.with_name(stem.name + "-old")):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
        if not stem.exists():
            marker.unlink(missing_ok=True)
            removed.append(stem)
    return removed


class atomic_directory:
    """Context manager: a temporary directory put at ``target`` whole on success (module docstring).

    On an exception (``KeyboardInterrupt`` included) the temporary directory
    is removed and ``target`` is left as it was. With ``overwrite=False`` an
    existing non-empty ``target`` is an error; with ``overwrite=True`` it is
    replaced in one exchange. A ``target`` that is a file (or lies under one)
    is a :class:`~fairshare.errors.ConfigError`, raised before anything is written.

    Parameters
    ----------
    target : str or pathlib.Path
        The directory to create (or replace).
    overwrite : bool, default False
        Replace an existing non-empty ``target``; an error otherwise.
    """

    def __init__(self, target, overwrite: bool = False):
        self.target = Path(target)
        self.overwrite = bool(overwrite)

    def _check_target(self) -> None:
        target = self.target
        if target.is_symlink():
            raise ConfigError(f"{target} is a symbolic link; give the directory itself ({target.resolve()}).")
        if target.exists() and not target.is_dir():
            raise ConfigError(f"{target} is a file, not a directory; give a directory path (fairshare writes "
                              "a directory of files there).")
        for ancestor in target.parents:
            if ancestor.exists():
                if not ancestor.is_dir():
                    raise ConfigError(f"{target}: {ancestor} is a file, so no directory can be made under it.")
                break
        if target.is_dir() and any(target.iterdir()) and not self.overwrite:
            raise ConfigError(f"{target} exists and is not empty. Choose another directory or pass "
                              "overwrite=True (--overwrite on the command line).")

    def __enter__(self) -> Path:
        self._check_target()
        parent = self.target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"{self.target}: cannot create its parent directory {parent} "
                              f"({err.strerror or err}).") from None
        clean_stale(parent)
        stem = f".{self.target.name}{TMP_TAG}{secrets.token_hex(6)}"
        self.tmp = parent / stem
        self.marker = parent / (stem + MARKER_SUFFIX)
        info = {"kind": _MARKER_KIND, "pid": os.getpid(), "host": socket.gethostname(),
                "target": self.target.name}
        try:
            fd = os.open(self.marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "w") as handle:
                handle.write(json.dumps(info) + "\n")
            self.tmp.mkdir()
        except OSError as err:
            self.marker.unlink(missing_ok=True)
            raise ConfigError(f"{self.target}: cannot write in {parent} ({err.strerror or err}).") from None
        return self.tmp

    def _discard(self) -> None:
        for path in (self.tmp, self.tmp.with_name(self.tmp.name + "-old")):
            shutil.rmtree(path, ignore_errors=True)
        self.marker.unlink(missing_ok=True)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self._discard()
            return False
        try:
            self._commit()
        except BaseException:
            self._discard()
            raise
        return False

    def _commit(self) -> None:
        target, tmp = self.target, self.tmp
        if target.is_dir():
            if not self.overwrite and any(target.iterdir()):
                raise ConfigError(f"{target} was filled by someone else while fairshare wrote it; nothing "
                                  "was replaced. Choose another directory or pass overwrite=True.")
            if not _exchange(tmp, target):  # no exchange on this file system: a short window
                aside = tmp.with_name(tmp.name + "-old")
                os.rename(target, aside)
                os.rename(tmp, target)
                os.rename(aside, tmp)
            shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old directory
            if tmp.exists():  # keep the marker: a later write removes what is left
                return
        else:
            if target.exists() or target.is_symlink():
                raise ConfigError(f"{target} appeared as a file while fairshare wrote it; nothing was written.")
            try:
                os.rename(tmp, target)
            except OSError as err:
                raise ConfigError(f"{target} could not be put in place ({err.strerror or err}); nothing "
                                  "was written.") from None
        self.marker.unlink(missing_ok=True)
