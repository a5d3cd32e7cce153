"""``inbox-agent run``: wait for mail with IMAP IDLE and run a cycle the moment it arrives.

Before each wait it looks whether mail arrived while the last cycle ran (IDLE would not report
it), and runs again at once when it did.

The main thread owns the IMAP connection and the store (one writer); APScheduler 3 only wakes it
for timed work (every 30 s for the outbox retries and the follow-ups due, at ``[digest] at`` in
the business's time zone for the digest, and a periodic safety poll); each cycle queues what is
due (``Runner.queue_due``). IDLE is re-issued before the 29-minute server limit; a dead
connection — a BYE, ``idle_check`` returning nothing instantly again and again, a timeout or
socket error — is dropped and reopened with exponential backoff and jitter. Where the server
lacks IDLE, it polls every ``poll_interval_s``. SIGTERM/SIGINT finish the current step and exit
cleanly.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from inbox_agent.config import Settings
from inbox_agent.exceptions import MailboxAuthError, MailboxConnectionError, MailboxError
from inbox_agent.imap import ImapMailbox
from inbox_agent.runner import CycleReport, Runner, connect

log = logging.getLogger(__name__)
SLICE_S = 1.0  # IDLE waits in slices this long, to notice stop and wake-ups quickly
DEAD_AFTER = 5  # this many instant empty idle_check results in a row mean a dead connection


class Backoff:
    """1 s, 2 s, 4 s … up to ``cap``, each with ±25 % jitter."""

    def __init__(self, cap: float = 120.0, rng: Callable[[], float] = random.random) -> None:
        self.cap, self.rng, self.failures = cap, rng, 0

    def next(self) -> float:
        base = min(self.cap, 2.0**self.failures)
        self.failures += 1
        return base * (0.75 + 0.5 * self.rng())

    def reset(self) -> None:
        self.failures = 0


class Daemon:
    def __init__(
        self,
        settings: Settings,
        runner: Runner,
        *,
        connect_fn: Callable[[Settings], ImapMailbox] = connect,
    ) -> None:
        self.settings = settings
        self.runner = runner
        self.connect = connect_fn
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.cycles = 0

    def request_stop(self, signum: int = 0, frame: FrameType | None = None) -> None:
        log.info("stopping (signal %s): finishing the current step", signum)
        self.stop.set()

    def run(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.request_stop)
        scheduler = BackgroundScheduler(timezone=self.settings.business.timezone)
        scheduler.add_job(self.wake.set, "interval", seconds=30, id="due-scan")
        hour, minute = (int(part) for part in self.settings.digest.at.split(":"))
        scheduler.add_job(self.wake.set, "cron", hour=hour, minute=minute, second=1, id="digest")
        scheduler.add_job(
            self.wake.set, "interval", seconds=self.settings.daemon.safety_poll_s, id="safety-poll"
        )
        scheduler.start()
        backoff = Backoff()
        connected_once = False
        try:
            while not self.stop.is_set():
                try:
                    with self.connect(self.settings) as mailbox:
                        connected_once = True
                        backoff.reset()
                        self._serve(mailbox)
                except MailboxAuthError:
                    if not connected_once:
                        raise  # wrong password at start: say so and exit
                    self._pause(backoff.next(), "login refused")
                except MailboxError as exc:
                    self._pause(backoff.next(), str(exc))
        finally:
            scheduler.shutdown(wait=False)
        log.info("stopped after %d cycles", self.cycles)

    def _pause(self, delay: float, why: str) -> None:
        log.warning("mailbox unavailable (%s); reconnecting in %.1f s", why, delay)
        self.stop.wait(delay)

    def _serve(self, mailbox: ImapMailbox) -> None:
        idle = mailbox.has_idle()
        log.info("connected to %s; %s", self.settings.mailbox.host, "IDLE" if idle else "polling")
        self._work(mailbox)
        while not self.stop.is_set():
            if idle:
                self._idle(mailbox)
            else:
                self.wake.wait(self.settings.daemon.poll_interval_s)
            if self.stop.is_set():
                break
            self._work(mailbox)

    def _work(self, mailbox: ImapMailbox) -> CycleReport:
        self.wake.clear()
        report = self.runner.cycle(mailbox)
        self.cycles += 1
        if report.poll.fetched or report.dispatch.sent or report.dispatch.retrying:
            log.info(
                "cycle %d: %d fetched, %d queued, %d sent, %d retrying, %d failed",
                self.cycles, report.poll.fetched, len(report.queued), len(report.dispatch.sent),
                len(report.dispatch.retrying), len(report.dispatch.failed),
            )  # fmt: skip
        return report

    def _idle(self, mailbox: ImapMailbox) -> None:
        """Wait in IDLE until new mail, a wake-up, a stop, or time to renew.

        A dead connection raises MailboxConnectionError without ending IDLE: there is nobody
        left to tell, and the caller reconnects.
        """
        renew_at = time.monotonic() + self.settings.daemon.idle_renew_s
        instant_empties = 0
        # IDLE reports only mail newer than this SELECT: what came while the cycle ran would wait
        # for the safety poll. So look first, and go round again at once when there is some.
        if self.runner.behind(mailbox):
            return
        mailbox.idle_start()
        while not self.stop.is_set() and not self.wake.is_set() and time.monotonic() < renew_at:
            started = time.monotonic()
            responses = mailbox.idle_check(SLICE_S)
            if any(b"BYE" in r[:2] for r in responses):
                raise MailboxConnectionError("server said BYE")
            if any(r[1:2] == (b"EXISTS",) for r in responses):
                break
            if not responses and time.monotonic() - started < SLICE_S / 20:
                instant_empties += 1  # imapclient's signature of a dropped connection
                if instant_empties >= DEAD_AFTER:
                    raise MailboxConnectionError("connection dropped during IDLE")
            else:
                instant_empties = 0
        mailbox.idle_done()
