"""An agent presses Reply on our notification and writes to the prospect: pass it on. Pure.

The notification goes to the agent from the shared address, so their Reply (or Reply-all) reaches
only the shared mailbox — the prospect would never get it. When an agent's mail answers one of
our mails to agents (``context.our_mail``) and holds words for the prospect, those words are
passed on (``RelayAnswer``): only what the agent wrote this time (the quoted notification cut off
by ``mail.replies``), never a line starting with ``#`` (commands stay internal), never their
signature below ``-- ``. A mail holding only ``#`` lines stays internal, as before.

It is refused, like a command, when the agent's mail is not trusted (``records.trust``) or also
went outside the business, and when what is left still holds lines of our notification (the
quote was not cut: passing it on would show the prospect our internal mail); the agent is told
why (``RelayOutcome``). Nothing is recorded as sent until it was: the agent's mail to us is an
internal event, the answer goes into the timeline when ``dispatch`` has sent it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from inbox_agent.mail.reading import Reading
from inbox_agent.plan.context import Context
from inbox_agent.records.assignment import Agent
from inbox_agent.records.prospect import Direction, Prospect
from inbox_agent.sending.actions import Action, MailKind, RelayAnswer, RelayOutcome

TO_AGENTS = frozenset(
    {MailKind.NOTIFICATION, MailKind.CONFIRMATION, MailKind.DELIVERY_FAILED, MailKind.RELAY_OUTCOME}
)
# Lines only our notification has: if one survives the quote cut, the cut failed.
_OURS = re.compile(
    r"(?im)^\W*(reply to answer .*; lines starting with # are commands|in their words:|"
    r"commands \(on lines of their own|reference: ia-\d+|or write to them from your own)"
)
TEXT_CAP = 20_000


def answers_our_mail_to_agents(reading: Reading, context: Context) -> bool:
    msg = reading.message
    return any(context.our_mail.get(m) in TO_AGENTS for m in (*msg.in_reply_to, *msg.references))


def words_for_prospect(fresh: str) -> str:
    """The agent's new words, without ``#`` lines and without their signature."""
    kept: list[str] = []
    for line in fresh.splitlines():
        if line.rstrip() in ("--", "-- ") or line.startswith("-- "):
            break
        if not line.lstrip().startswith("#"):
            kept.append(line.rstrip())
    return "\n".join(kept).strip()[:TEXT_CAP]


def _agent_name(sender: str, display: str, agents: Sequence[Agent]) -> str:
    for agent in agents:
        if agent.email == sender:
            return agent.name
    return display or sender.partition("@")[0]


def relay(
    reading: Reading,
    record: Prospect,
    words: str,
    agents: Sequence[Agent],
    refused: str = "",
) -> tuple[Action, ...]:
    """The mail that passes ``words`` on to ``record``'s prospect, or tells the agent why not
    (``refused``: the trust check's answer, when it said no)."""
    msg, sender = reading.message, reading.sender
    if not refused and _OURS.search(words):
        refused = (
            "your words could not be told apart from the notification you quoted, so nothing "
            "was passed on (it would have shown them our internal mail)"
        )
    if refused:
        return (RelayOutcome(record.id, sender, msg.message_id, sent=False, detail=refused),)
    theirs = [
        e.message_id
        for e in record.timeline
        if e.direction == Direction.IN and e.message_id and e.kind != "auto_reply"
    ]
    name = _agent_name(sender, msg.from_.name if msg.from_ else "", agents)
    return (
        RelayAnswer(
            record.id, record.email, sender, name, words, msg.message_id,
            in_reply_to=theirs[-1] if theirs else "", references=tuple(theirs[-10:]),
        ),
    )  # fmt: skip
