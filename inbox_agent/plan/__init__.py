"""The decisions: what incoming mail does, which automatic mail is due, and the guards. Pure."""
