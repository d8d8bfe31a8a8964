"""The installed fairshare version, from package metadata."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

try:
    version = _dist_version("fairshare")
except PackageNotFoundError:  # running from a source tree that is not installed
    version = "0+unknown"

__all__ = ["version"]
