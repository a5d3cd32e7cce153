"""Whose domain an address is at: the business's own, a public mail provider's, a platform's. Pure.

Vocabulary: the *registrable domain* of an address is the part of its domain a company registers
(``messaging.yelp.com`` → ``yelp.com``, ``mail.loja.com.br`` → ``loja.com.br``), found with the
Public Suffix List that ``publicsuffixlist`` ships (read once from the package, no network). A
notification from a robot no source rule knows is tagged with the registrable domain of its sender.
The documentation domains (``example.com``, ``example.net``, ``example.org`` and the ``.example``,
``.test``, ``.invalid`` and ``.localhost`` names of RFC 2606) are read as public suffixes, so that
``shop.example.com`` and ``people.example.com`` are two owners, as the examples using them mean.
*Public mail domains* (Gmail, Outlook, Yahoo, …) belong to no business: a shared mailbox at
``acme@gmail.com`` does not make every Gmail user "ourselves", so they never count as the
business's own domains (``business_domains``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

_PSL = PublicSuffixList()  # the list bundled with the package
_RESERVED = ("example.com", "example.net", "example.org", "example", "test", "invalid", "localhost")
PUBLIC_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.es",
        "hotmail.it",
        "hotmail.de",
        "live.com",
        "live.co.uk",
        "live.fr",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.es",
        "yahoo.it",
        "yahoo.de",
        "yahoo.com.br",
        "yahoo.com.mx",
        "yahoo.co.za",
        "ymail.com",
        "rocketmail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "gmx.at",
        "gmx.ch",
        "web.de",
        "t-online.de",
        "freenet.de",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "zoho.com",
        "zohomail.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "mail.com",
        "fastmail.com",
        "hey.com",
        "tutanota.com",
        "qq.com",
        "163.com",
        "126.com",
        "naver.com",
        "uol.com.br",
        "bol.com.br",
        "terra.com.br",
        "ig.com.br",
        "libero.it",
        "virgilio.it",
        "tiscali.it",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "laposte.net",
        "sfr.fr",
        "btinternet.com",
        "sky.com",
        "mweb.co.za",
        "telkomsa.net",
        "webmail.co.za",
        "kpnmail.nl",
        "ziggo.nl",
        "bluewin.ch",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "onet.pl",
    ]
)


@lru_cache(maxsize=4096)
def registrable(domain: str) -> str:
    """``messaging.yelp.com`` → ``yelp.com``; the domain itself when the list knows no better."""
    domain = domain.strip(".").lower()
    for reserved in _RESERVED:
        if domain.endswith(f".{reserved}"):
            return ".".join([*domain[: -len(reserved) - 1].split(".")[-1:], reserved])
    try:
        found = _PSL.privatesuffix(domain)
    except Exception:  # an odd label (IDN, empty) is no reason to fail a message
        found = None
    return found or domain


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def business_domains(domains: Iterable[str]) -> frozenset[str]:
    """The business's own domains, public mail providers left out."""
    return frozenset(d.lower() for d in domains if d and d.lower() not in PUBLIC_MAIL_DOMAINS)


def at_domains(address: str, domains: frozenset[str]) -> bool:
    """The address is at one of ``domains`` or a subdomain of one."""
    domain = domain_of(address)
    return bool(domain) and any(domain == d or domain.endswith(f".{d}") for d in domains)


def same_owner(address: str, other: str) -> bool:
    """Both addresses are at the same registrable domain (``support@zillow.com`` and
    ``x@reply.zillow.com``); never for public mail domains, which no one owns."""
    a, b = domain_of(address), domain_of(other)
    if not a or not b or a in PUBLIC_MAIL_DOMAINS or b in PUBLIC_MAIL_DOMAINS:
        return False
    return registrable(a) == registrable(b)
