"""``inbox-agent check``: every template rendered as the mail it is for, then IMAP and SMTP.

A typo in a template the daemon uses only two days after an inquiry (the courtesy note) would
otherwise surface as a note that never goes; ``check`` must name the file the day it is edited.
"""

from __future__ import annotations

import email
import shutil
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest

from inbox_agent.config import load_settings
from inbox_agent.exceptions import TemplateError
from inbox_agent.health import _templates
from inbox_agent.rules import renderer
from inbox_agent.sending import trial
from inbox_agent.sending.actions import Acknowledge, FollowUp, ReviveReminder
from inbox_agent.store import Store
from tests.harness import MailboxUser, SmtpReceiver
from tests.realconfig import cli, write_config

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OFFLINE = MailboxUser("127.0.0.1", 1, "sales", "pw")  # no server: the templates come first


def _plan(*files: str) -> trial.Plan:
    return trial.plan(
        files, agent="alice@example.com", cadence_mail=("courtesy_note", "follow_up"),
        languages=("en", "es"), sources=("email", "facebook"), interests=("quote",), now=NOW,
        shipped_files=[p.name for p in (ROOT / "templates").iterdir()],
    )  # fmt: skip


def test_each_file_is_tried_as_the_mail_that_would_pick_it() -> None:
    found = _plan(
        "acknowledgment.txt.j2", "acknowledgment.html.j2", "acknowledgment.es.txt.j2",
        "acknowledgment.facebook.quote.txt.j2", "courtesy_note.es.txt.j2",
        "revive_reminder.txt.j2", "digest.txt.j2", "digest.html.j2", "_page.html.j2",
        "README.md",
    )  # fmt: skip
    tried = {t.file: t for t in found.trials if not t.file.endswith("(shipped)")}
    assert sorted(tried) == [
        "acknowledgment.es.txt.j2", "acknowledgment.facebook.quote.txt.j2",
        "acknowledgment.txt.j2", "courtesy_note.es.txt.j2", "revive_reminder.txt.j2",
    ]  # fmt: skip
    es = tried["acknowledgment.es.txt.j2"]
    assert isinstance(es.action, Acknowledge) and es.prospect.language == "es"
    fb = tried["acknowledgment.facebook.quote.txt.j2"].prospect
    assert (fb.source, fb.interest, fb.language) == ("facebook", "quote", "")
    note = tried["courtesy_note.es.txt.j2"]
    assert isinstance(note.action, FollowUp) and note.action.template == "courtesy_note"
    assert isinstance(tried["revive_reminder.txt.j2"].action, ReviveReminder)
    assert found.pages == ("digest", "report") and found.unused == ()
    assert "report" in found.shipped and "digest" not in found.shipped  # no report.txt.j2 here
    # the mails this folder has no plain template for are written from the shipped ones
    assert "acknowledgment" not in found.shipped and "revive_reminder" not in found.shipped
    assert {"courtesy_note", "notification", "opted_out", "follow_up"} <= set(found.shipped)
    assert {t.file for t in found.trials if t.file.endswith("(shipped)")} == {
        f"{name}.txt.j2 (shipped)" for name in found.shipped if name not in trial.PAGES
    }


def test_files_no_mail_would_pick_are_named() -> None:
    found = _plan(
        "acknowledgement.txt.j2",  # misspelt
        "acknowledgment.zz.txt.j2",  # a language the business does not write
        "notification.es.html.j2",  # an HTML part without its text part
        "follow_up_3.txt.j2",  # no cadence step names it
    )
    assert all(t.file.endswith("(shipped)") for t in found.trials)
    assert sorted(found.unused) == [
        "acknowledgement.txt.j2", "acknowledgment.zz.txt.j2", "follow_up_3.txt.j2",
        "notification.es.html.j2",
    ]  # fmt: skip


def test_a_folder_an_older_init_wrote_gets_the_shipped_template_for_newer_mail(
    tmp_path: Path,
) -> None:
    """An owner's folder from before the follow-ups has no courtesy note: the note is written
    from the shipped one (it used to fail to render, and never went); their own files win."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "acknowledgment.txt.j2").write_text("Thanks {{ prospect.name }}! {{ reference }}\n")
    settings = load_settings(write_config(tmp_path, OFFLINE, templates=folder))
    render = renderer(settings)
    person = trial.sample_prospect(NOW, "alice@example.com")
    ack = render.render(Acknowledge(1, person.email), person, NOW)
    assert b"Thanks Jane!" in ack.raw
    note = render.render(FollowUp(1, person.email, 1, "courtesy_note"), person, NOW)
    assert b"courtesy note" in note.raw
    _, shipped, problems = _templates(settings)
    assert problems == [] and "courtesy_note" in shipped and "acknowledgment" not in shipped
    missing = load_settings(write_config(tmp_path, OFFLINE, templates=tmp_path / "nowhere"))
    _, _, problems = _templates(missing)
    assert len(problems) == 1 and "nowhere: no such folder" in problems[0]


def test_a_mail_with_no_template_here_or_shipped_is_named_as_missing(tmp_path: Path) -> None:
    """A drip template the owner named in rules.toml but never wrote: not "the shipped one is
    used" (none ships), and the error names the owner's folder, not the package's."""
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    config = write_config(tmp_path, OFFLINE, templates=folder, extra="[followups]\n"
                          'drip = ["drip", "call_script"]\n')  # fmt: skip
    settings = load_settings(config)
    _, shipped, problems = _templates(settings)
    assert "call_script" not in shipped
    assert problems == [
        "drip_2.txt.j2: no mail of ours uses this file (a misspelt name?)",
        "call_script.txt.j2: no such template here, and none ships ([followups] names it?)",
    ]
    person = trial.sample_prospect(NOW, "alice@example.com")
    with pytest.raises(TemplateError, match=f"no template 'call_script' in {folder}"):
        renderer(settings).render(FollowUp(1, person.email, 1, "call_script"), person, NOW)


def test_the_shipped_templates_all_render(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, OFFLINE))
    tried, shipped, problems = _templates(settings)
    assert problems == [] and shipped == ()
    files = {p.name for p in (ROOT / "templates").glob("*.txt.j2")}
    assert set(tried) == (files - {"digest.txt.j2", "report.txt.j2"}) | {
        "digest page", "report page",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("courtesy_note.es.txt.j2", "{{ prospect.name }}", "{{ prospect.nmae }}"),  # a typo
        ("digest.html.j2", "{%", "{% if %}"),  # a syntax error
        ("revive_reminder.txt.j2", "{{", "{{ no_such_thing }}{{"),  # a name no mail has
    ],
)
def test_a_broken_template_is_named_with_what_is_wrong(
    tmp_path: Path, file: str, old: str, new: str
) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    text = (folder / file).read_text()
    assert old in text
    (folder / file).write_text(text.replace(old, new, 1))
    settings = load_settings(write_config(tmp_path, OFFLINE, templates=folder))
    _, _, problems = _templates(settings)
    assert len(problems) == 1 and f"template {file}" in problems[0], problems


def test_check_against_real_servers_passes_then_names_a_broken_template(
    mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    config = write_config(tmp_path, mailbox_user, smtp_server, templates=folder)
    ok = cli(config, mailbox_user, "check")
    assert ok.returncode == 0, ok.stderr
    assert "rendered: ok" in ok.stdout and "logged in" in ok.stdout and "smtp:" in ok.stdout
    note = folder / "courtesy_note.txt.j2"
    note.write_text(note.read_text().replace("prospect.name", "prospect.nmae", 1))
    (folder / "acknowledgement.txt.j2").write_text("Hello {{ prospect.name }}\n")
    broken = cli(config, mailbox_user, "check")
    assert broken.returncode == 1
    problems = [line for line in broken.stderr.splitlines() if line.startswith("problem:")]
    assert len(problems) == 2, broken.stderr
    assert any("courtesy_note.txt.j2" in p and "nmae" in p for p in problems)
    assert any("acknowledgement.txt.j2: no mail of ours uses this file" in p for p in problems)
    assert smtp_server.received == []  # check sends nothing


def test_preview_shows_any_mail_for_a_stored_record_and_names_the_ones_it_knows(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, OFFLINE)
    settings = load_settings(config)
    record = trial.sample_prospect(NOW, "alice@example.com", language="es")
    with Store.open(settings.store.path) as store, store.transaction():
        store.save_prospect(record)
    note = cli(config, OFFLINE, "preview", "courtesy_note", "1")
    assert note.returncode == 0, note.stderr
    mail = email.message_from_string(note.stdout, policy=policy.default)
    assert mail["To"] == "Jane Doe <jane@example.org>" and mail["List-Unsubscribe"]
    body = mail.get_body(("plain",))
    assert body is not None and "Hola" in body.get_content()  # the Spanish note, for her
    reminder = cli(config, OFFLINE, "preview", "revive_reminder", "jane@example.org")
    assert reminder.returncode == 0 and "alice@example.com" in reminder.stdout
    unknown = cli(config, OFFLINE, "preview", "courtesy", "1")
    assert unknown.returncode == 2 and "known: acknowledgment, cap_notice" in unknown.stderr
