"""Property: no message, however it is made, makes us mail an address that is not the message's
sender or the person a known, verified form robot names (``hypothesis`` generates the mail)."""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox_agent.config import Settings, load_settings
from inbox_agent.mail.authentication import our_results, vouched
from inbox_agent.mail.reading import read_message
from inbox_agent.plan.inbound import decide
from inbox_agent.rules import inbound_rules
from inbox_agent.sending.actions import Acknowledge
from tests.conftest import ROOT
from tests.test_decide import context

SHIPPED: Settings = load_settings(ROOT / "rules.toml")
RULES = inbound_rules(SHIPPED)
STAFF = SHIPPED.staff | SHIPPED.mailbox.own_addresses

people = st.sampled_from(
    ["jane@example.org", "victim@example.net", "boss@example.com", "sales@example.com",
     "alice@example.com", "noreply@example.net", "support+t7@helpdesk.example"]
)  # fmt: skip
senders = st.sampled_from(
    ["Jane <jane@example.org>", "WordPress <wordpress@example.com>",
     "Facebook <notification@facebookmail.com>", "Forms <submissions@forms.example>",
     "Mallory <mallory@evil.example>", "noreply@shop.example", "Sales <sales@example.com>",
     "Alice <alice@example.com>"]
)  # fmt: skip
auth = st.sampled_from(
    ["", "dkim=pass header.d=example.com", "dkim=fail header.d=example.com; dmarc=fail",
     "spf=pass smtp.mailfrom=wordpress@example.com", "spf=fail smtp.mailfrom=x@evil.example",
     "dkim=pass header.d=evil.example"]
)  # fmt: skip
extra = st.sampled_from(
    [{}, {"Auto-Submitted": "auto-generated"}, {"Auto-Submitted": "auto-replied"},
     {"List-Unsubscribe": "<https://x.example/u>"}, {"Precedence": "bulk"},
     {"X-Failed-Recipients": "jane@example.org"}]
)  # fmt: skip
subjects = st.sampled_from(
    ["Question", "New lead from Facebook", "New submission from Contact", "[#12345] Re: Hi",
     "Out of office", "Undeliverable: Re: Hi", "Re: your inquiry"]
)  # fmt: skip


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    msg = EmailMessage()
    msg["From"] = draw(senders)
    msg["To"] = "sales@example.com"
    msg["Subject"] = draw(subjects)
    msg["Message-ID"] = f"<m{draw(st.integers(0, 10**6))}@example.org>"
    if draw(st.booleans()):
        msg["Reply-To"] = draw(people)
    result = draw(auth)
    if result:
        msg["Authentication-Results"] = f"mx.example.com; {result}"
    for name, value in draw(extra).items():
        msg[name] = value
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        label = draw(st.sampled_from(["Name", "Email", "Your Email", "E-mail", "Phone", "Message"]))
        value = draw(st.one_of(people, st.text("abc xyz@.", max_size=20)))
        lines.append(f"{label}: {value}")
    lines.append(draw(st.text(max_size=60)))
    msg.set_content("\n".join(lines))
    return msg.as_bytes()


def allowed(raw: bytes) -> set[str]:
    """The sender, and the person a known form robot names when our server vouches for it."""
    reading = read_message(raw, RULES.reading)
    msg = reading.message
    found = {msg.from_.email} if msg.from_ else set()
    if reading.source.known_sender and reading.contact is not None and msg.from_ is not None:
        ours = our_results(msg, RULES.reading.policy.authserv_ids)
        if not ours.heard or vouched(ours, msg.from_.domain):
            found.add(reading.contact.email)
    return found - STAFF


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_we_mail_only_the_sender_or_a_known_robots_person(raw: bytes) -> None:
    reading = read_message(raw, RULES.reading)
    d = decide(reading, context(), RULES)
    acked = {a.recipient for a in d.outbox if isinstance(a, Acknowledge)}
    assert acked <= allowed(raw), (acked, reading.verdict, reading.action_reason)
    others = {a.recipient for a in d.outbox if not isinstance(a, Acknowledge)}
    assert others <= STAFF | set(SHIPPED.supervisors)  # everything else is internal
