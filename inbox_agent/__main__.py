"""``python -m inbox_agent`` is the same as the ``inbox-agent`` command."""

from inbox_agent.cli import main

main()
