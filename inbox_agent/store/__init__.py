"""The store package: ``Store`` (``store.store``) over a crash-safe TinyDB ``Database``
(``store.database``, the only module that imports tinydb)."""

from inbox_agent.store.store import Store

__all__ = ["Store"]
