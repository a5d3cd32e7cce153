"""A spam filter's verdict on one message, as data, and what it does to a reading. Pure.

Vocabulary: a ``SpamScore`` is what a real filter said (``spamd``: SpamAssassin's daemon, asked
by the ``inbox_agent.spamd`` seam when ``[classify] spamd`` is set): spam or not, the score, the
threshold and the rules that hit. ``spam_checked`` treats its "spam" like the receiving
server's own verdict header (``classify.spam``): the message is ``spam``, never acknowledged,
never a record, but logged and listed for a person (``inbox-agent spam``), because filters also
hit real leads. Only a person's mail (an ``inquiry`` reading) is ever asked about: robots,
bounces and our own mail are decided without it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from inbox_agent.mail.classify import Kind, Verdict
from inbox_agent.mail.reading import NO_ACTION, Reading

DETECTOR = "spamd"


@dataclass(frozen=True)
class SpamScore:
    spam: bool
    score: float
    threshold: float
    rules: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        hits = ",".join(self.rules[:6]) + ("…" if len(self.rules) > 6 else "")
        return f"SpamAssassin {self.score:g}/{self.threshold:g}" + (f" ({hits})" if hits else "")


def spam_checked(reading: Reading, score: SpamScore | None) -> Reading:
    """The reading, as spam when the filter says so (only a person's mail is changed)."""
    if score is None or not score.spam or reading.kind != Kind.INQUIRY:
        return reading
    verdict = Verdict(Kind.SPAM, score.summary, DETECTOR)
    return replace(reading, verdict=verdict, contact=None, interest="", action=NO_ACTION,
                   action_reason=f"not an inquiry: {score.summary}", fresh="")  # fmt: skip
