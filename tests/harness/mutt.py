"""Mutt, a real mail client, driven through tmux: how a test presses Reply as a person does.

Vocabulary: a ``Mutt`` session reads one Dovecot user's INBOX over IMAP and sends through an SMTP
server on loopback. ``reply(text)`` opens the first message, presses ``r`` (reply, honouring
Reply-To), lets the "editor" (a script) write ``text`` above Mutt's own quote, and sends. The
recipe is /work/shared/testing/README.md ("Mutt in tmux"). Needs Debian's ``mutt`` and ``tmux``:
``require_mutt`` skips without them locally and fails under CI.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .dovecot import HOST, in_ci


def require_mutt() -> None:
    missing = [tool for tool in ("mutt", "tmux") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not installed (apt-get install -y mutt tmux)"
        if in_ci():
            pytest.fail(f"CI is set, so this is an error, not a skip: {message}", pytrace=False)
        pytest.skip(message)


class Mutt:
    """One Mutt in a detached tmux session; ``with`` starts it and always ends it."""

    def __init__(
        self,
        folder: Path,
        *,
        user: str,
        password: str,
        imap_port: int,
        smtp_port: int,
        address: str,
        name: str,
    ) -> None:
        self.folder, self.session = folder, f"mutt-{user}"
        self.text_file = folder / "answer.txt"
        editor = folder / "editor.sh"
        editor.write_text(
            "#!/bin/sh\n# what a person types above the quote\n"
            f'cat {shlex.quote(str(self.text_file))} "$1" > "$1.new" && mv "$1.new" "$1"\n'
        )
        editor.chmod(0o755)
        (folder / "muttrc").write_text(
            f'set folder="imap://{user}:{password}@{HOST}:{imap_port}/"\n'
            'set spoolfile="+INBOX"\nset record=""\nset postponed="+Drafts"\n'
            f'set smtp_url="smtp://{HOST}:{smtp_port}/"\n'
            f'set from="{address}"\nset realname="{name}"\nset use_from=yes\n'
            f'set editor="{editor}"\nset include=yes\nset fast_reply=yes\nset askcc=no\n'
            "set reply_to=yes\nset ssl_starttls=no\nset ssl_force_tls=no\n"
            "set imap_check_subscribed=no\n"
            'set header_cache=""\nset message_cachedir=""\nset charset="utf-8"\nset mail_check=1\n'
            "set abort_noattach=no\nset confirmappend=no\nset wait_key=no\n"
        )

    def __enter__(self) -> Mutt:
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                self.session,
                "-x",
                "160",
                "-y",
                "40",
                f"TERM=xterm mutt -n -F {shlex.quote(str(self.folder / 'muttrc'))}",
            ],
            check=True,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)

    def screen(self) -> str:
        done = subprocess.run(
            ["tmux", "capture-pane", "-t", self.session, "-p"], capture_output=True, text=True
        )
        return done.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, *keys], check=True)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"Mutt never showed {text!r}; the screen:\n{self.screen()}")

    def reply(self, text: str, *, shows: str, group: bool = False) -> None:
        """Reply (``g``: reply to all) to the message whose index line shows ``shows``."""
        self.text_file.write_text(text)
        self.wait_for(shows)
        self.keys("g" if group else "r")
        self.wait_for("y:Send")
        self.keys("y")
        self.wait_for("Mail sent")
