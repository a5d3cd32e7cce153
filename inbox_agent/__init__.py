"""inbox-agent: turns a shared sales mailbox into a prospect-service machine."""

__version__ = "0.1.0"
