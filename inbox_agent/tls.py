"""TLS for both seams: a verifying context, system CAs or a configured bundle."""

from __future__ import annotations

import ssl


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """A verifying TLS context (system CAs, or the given CA bundle)."""
    return ssl.create_default_context(cafile=ca_file or None)
