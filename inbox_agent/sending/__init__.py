"""Outgoing mail: the action vocabulary, the outbox, letters and their rendering. Pure."""
