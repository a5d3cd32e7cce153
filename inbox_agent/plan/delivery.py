"""What follows one of our mails: when it went out, and when it cannot be delivered. Pure.

An agent's answer passed on to the prospect (``RelayAnswer``) is confirmed to them once it went
out: "sent to Pat".

Mail to a prospect that failed for good — the server refused the address, no mail system can
carry it, the letter could not be built — must not end in silence: the person asked us
something. Their assigned agent is told (else the first supervisor), once per failed mail, with
the reason, so that a human writes to them. Mail to agents that fails tells no one more (it is
in ``inbox-agent quarantine``): that would only make more mail that cannot be delivered.
"""

from __future__ import annotations

from collections.abc import Sequence

from inbox_agent.records.prospect import Prospect
from inbox_agent.sending.actions import Action, DeliveryFailed, RelayAnswer, RelayOutcome
from inbox_agent.sending.outbox import OutboxEntry


def after_sent(entry: OutboxEntry) -> tuple[Action, ...]:
    action = entry.action
    if isinstance(action, RelayAnswer):
        return (RelayOutcome(action.prospect_id, action.agent, action.source, sent=True),)
    return ()


def after_failure(
    entry: OutboxEntry, record: Prospect, supervisors: Sequence[str] = ()
) -> tuple[Action, ...]:
    if entry.recipient != record.email:
        return ()
    action = entry.action
    if isinstance(action, RelayAnswer):  # the agent who wrote it hears why it did not go
        return (RelayOutcome(record.id, action.agent, action.source, sent=False,
                             detail=entry.last_error),)  # fmt: skip
    told = record.assigned_to or next(iter(supervisors), None)
    if told is None:
        return ()
    return (DeliveryFailed(record.id, told, entry.key, entry.kind, entry.recipient,
                           entry.last_error),)  # fmt: skip
