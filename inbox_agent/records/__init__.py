"""The prospect record and everything that changes it: status, threads, commands, trust. Pure."""
