"""Config: every problem at once, with file and key; did-you-mean; secrets from the environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inbox_agent.config import load_settings, secret
from inbox_agent.exceptions import ConfigError

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = """
[mailbox]
address = "Sales@Example.com"
host = "127.0.0.1"
security = "none"
[store]
path = "data/p.json"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


def test_shipped_rules_toml_is_valid() -> None:
    settings = load_settings(ROOT / "rules.toml")
    assert settings.mailbox.address == "sales@example.com"
    assert {r.name for r in settings.sources} >= {
        "website", "facebook", "linkedin", "google_ads", "twitter", "referral",
    }  # fmt: skip
    assert {r.name for r in settings.interests} >= {"quote", "technical_assistance"}


def test_minimal_config_and_relative_paths(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    assert settings.mailbox.address == "sales@example.com"
    assert settings.mailbox.username == "sales@example.com"
    assert settings.store.path == tmp_path / "data/p.json"


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace('security = "none"', 'security = "tls"\nprot = 5')
        + """
[business]
timezone = "Mars/Olympus"
[digest]
at = "7am"
to = ["not-an-address"]
[[agents]]
name = "No Mail"
"""
    )
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    keys = [p.key for p in info.value.problems]
    assert keys == [
        "mailbox.security", "mailbox.prot", "business.timezone", "digest.at", "digest.to",
        "agents[0].email",
    ]  # fmt: skip
    assert "did you mean 'port'" in str(info.value)
    assert all(p.file.endswith("rules.toml") for p in info.value.problems)


def test_cleartext_to_remote_host_needs_allow_insecure(tmp_path: Path) -> None:
    text = MINIMAL.replace('"127.0.0.1"', '"imap.example.com"')
    with pytest.raises(ConfigError, match="loopback"):
        load_settings(write(tmp_path, text))
    text = text.replace('security = "none"', 'security = "none"\nallow_insecure = true')
    assert load_settings(write(tmp_path, text)).mailbox.allow_insecure


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[mailbox\n"))
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml")


def test_secret_comes_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IA_TEST_PW", raising=False)
    with pytest.raises(ConfigError, match="IA_TEST_PW"):
        secret("IA_TEST_PW")
    monkeypatch.setenv("IA_TEST_PW", "s3cret")
    assert secret("IA_TEST_PW") == "s3cret"


def test_cli_config_error_exits_2_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("address =", "adress ="))
    proc = subprocess.run(
        [sys.executable, "-m", "inbox_agent", "--config", str(path), "prospects"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "did you mean 'address'" in proc.stderr
    assert "mailbox.address: is required" in proc.stderr
    assert "Traceback" not in proc.stderr
