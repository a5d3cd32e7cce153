"""Whose mail may steer the records: Authentication-Results (RFC 8601) and the trust policy. Pure.

Vocabulary:

- **Trust** (``TrustPolicy``): the sender must be staff (agents and owners), and then the mail
  must be in the shared Sent folder, or — in the default ``authentication-results`` mode — carry
  an ``Authentication-Results`` header (RFC 8601) written by *our* receiving server (a configured
  authserv-id) showing ``dkim=pass`` for the From domain or ``dmarc=pass`` with that
  ``header.from``. Headers claiming any other authserv-id are ignored: anyone can add one
  (RFC 8601 §5). Of those claiming ours, only the topmost count (``mail.authentication``:
  above the first ``Received`` below our server's own, and per method the topmost result), so a
  forged header below the genuine one is ignored even where the server does not strip it. The
  ``from-header`` mode trusts the From address alone and must be chosen explicitly.
- Microsoft 365 (Exchange Online) writes its header without an authserv-id; list
  ``NO_AUTHSERV_ID`` (``"(none)"``) among the ids to trust it. Exchange renames headers that
  arrive with a message to ``Authentication-Results-Original``.
- A command mail must be **internal only**: every To/Cc/Bcc recipient is one of our own
  addresses or staff (``internal_only``), so a command never reaches a prospect.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterable
from dataclasses import dataclass

from inbox_agent.mail.authentication import (
    NO_AUTHSERV_ID,
    AuthResult,
    AuthResults,
    describe,
    our_results,
    parse_authentication_results,
    passes,
)
from inbox_agent.mail.message import Address, Message

__all__ = [  # the parser lives in mail.authentication; these names stay importable from here
    "NO_AUTHSERV_ID", "AuthResult", "AuthResults", "TrustPolicy", "internal_only",
    "parse_authentication_results", "trusted_sender",
]  # fmt: skip

MODES = ("authentication-results", "from-header")


# --- trust --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustPolicy:
    """How a staff member's mail is verified before its commands count.

    ``mode`` is ``authentication-results`` (default) or ``from-header`` (weaker: anyone can
    write a From header; choose it explicitly). ``authserv_ids`` are our receiving server's
    authserv-id(s), e.g. ``mx.google.com``; ``NO_AUTHSERV_ID`` stands for Microsoft 365's.
    """

    mode: str = "authentication-results"
    authserv_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown trust mode {self.mode!r}; known: {', '.join(MODES)}")
        ids = frozenset(i.strip().lower() for i in self.authserv_ids if i.strip())
        object.__setattr__(self, "authserv_ids", ids)


_VOUCHING = ("dkim", "dmarc")  # for commands: a signature or DMARC, not SPF alone


def _vouches(result: AuthResult, domain: str) -> bool:
    return result.method in _VOUCHING and passes(result, domain)


def _from_addresses(msg: Message) -> list[str]:
    pairs = email.utils.getaddresses(list(msg.header_all("from")))
    return [addr for _, addr in pairs if "@" in addr]


def trusted_sender(
    msg: Message, staff: frozenset[str], policy: TrustPolicy, *, in_sent_folder: bool = False
) -> tuple[bool, str]:
    """Whether ``msg`` comes from a staff member we can believe, and why (for the record).

    ``staff`` holds agents' and owners' addresses. Mail sent *as* the shared address carries
    that address in From: include it in ``staff`` when checking the Sent folder.
    """
    if msg.from_ is None:
        return False, "no From address"
    if len(msg.header_all("from")) > 1 or len(_from_addresses(msg)) > 1:
        return False, "more than one From address"
    sender = msg.from_.email.lower()
    if sender not in {s.lower() for s in staff}:
        return False, f"From {sender} is not staff"
    if in_sent_folder:
        return True, "found in the shared Sent folder"
    if policy.mode == "from-header":
        return True, f"From {sender} is staff (from-header mode: the From header is not verified)"
    ours_ids = sorted(policy.authserv_ids)
    if not ours_ids:
        return False, "no authserv-id configured: Authentication-Results cannot be checked"
    domain = msg.from_.domain
    ours = our_results(msg, policy.authserv_ids)
    if not ours.heard:
        why = f"no Authentication-Results from {', '.join(ours_ids)}"
        if ours.foreign:
            why += f" (ignored those claiming {', '.join(ours.foreign)})"
        return False, why
    for result in ours.results:
        if _vouches(result, domain):
            return True, f"Authentication-Results from {ours.writer}: {describe(result)}"
    seen = [describe(r) for r in ours.results if r.method in _VOUCHING]
    found = "; ".join(seen) if seen else "no dkim or dmarc result"
    if ours.ignored_below:
        found += f"; {ours.ignored_below} lower header(s) claiming {ours.writer} ignored"
    return False, f"no dkim=pass or dmarc=pass for {domain} ({found})"


def _mailbox(address: str) -> str:
    """Lower-case, with a ``+tag`` sub-address removed: ``sales+p12@x`` is ``sales@x``."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def internal_only(msg: Message, staff: frozenset[str], own: frozenset[str]) -> bool:
    """Every visible recipient (To, Cc, and Bcc where a sent copy kept it) is ours or staff.

    A message with no visible recipient is not internal: we cannot tell who else got it.
    """
    allowed = {_mailbox(a) for a in (*staff, *own)}
    bcc = tuple(
        Address(name, addr.lower())
        for name, addr in email.utils.getaddresses(list(msg.header_all("bcc")))
        if "@" in addr
    )
    recipients: Iterable[Address] = (*msg.to, *msg.cc, *bcc)
    visible = [a.email for a in recipients]
    return bool(msg.to or msg.cc) and all(_mailbox(a) in allowed for a in visible)
