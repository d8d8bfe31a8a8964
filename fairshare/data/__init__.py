"""Data model: schema, validation, the ``History`` container, readers and writers."""

from .history import DEFAULT_EPOCH_SECONDS, History
from .schema import NODE_TIERS, TABLES, VERIFICATION_MODES

__all__ = ["History", "DEFAULT_EPOCH_SECONDS", "TABLES", "NODE_TIERS", "VERIFICATION_MODES"]
