"""What every command shares: the ``Context`` (the ``--config`` path, the verbosity), the
shipped starter files, a record found by ID or address, and a page printed as text or HTML."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import click

from inbox_agent.config import Settings, config_path, load_settings
from inbox_agent.exceptions import UsageError
from inbox_agent.mail.reading import ReadingRules
from inbox_agent.records.prospect import Prospect
from inbox_agent.spamd import SpamCheck
from inbox_agent.store import Store


def starter_dir() -> Path:
    """The shipped starter ``rules.toml`` and ``templates/``."""
    return Path(str(resources.files("inbox_agent") / "starter"))


class Context:
    def __init__(self, config: str | None, verbose: int) -> None:
        self.config = config
        self.verbose = verbose

    def settings(self) -> Settings:
        return load_settings(config_path(self.config))

    def rules(self) -> ReadingRules:
        """Rules from the config; the shipped rules when no config is given or found."""
        from inbox_agent.rules import reading_rules

        return reading_rules(self._replay_settings())

    def _replay_settings(self) -> Settings:
        path = config_path(self.config)
        if self.config is None and not path.exists():
            path = starter_dir() / "rules.toml"
        return load_settings(path)

    def spam_check(self) -> SpamCheck | None:
        """``[classify] spamd`` of the config ``replay`` reads, when set."""
        from inbox_agent.rules import spam_checker

        return spam_checker(self._replay_settings())


def find_record(store: Store, record: str) -> Prospect:
    prospect = (
        store.prospect(int(record)) if record.isdigit() else store.latest_prospect_for(record)
    )
    if prospect is None:
        raise UsageError(f"no record {record!r}")
    return prospect


def echo_page(settings: Settings, name: str, content: Mapping[str, object], *, html: bool) -> None:
    """Print a page (the digest, the review) as text, or as HTML."""
    from inbox_agent.rules import renderer

    text, page = renderer(settings).page(name, content)
    if html and page is None:
        raise UsageError(f"no {name}.html.j2 in the templates folder")
    click.echo(page if html and page is not None else text, nl=False)
