"""``python -m inbox_agent`` is the same as the ``inbox-agent`` command."""

from inbox_agent.cli import main

if __name__ == "__main__":  # not when a worker process re-imports the main module
    main()
