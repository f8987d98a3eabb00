"""The abuse reports as pure functions: DataFrames of the dataset in, one DataFrame out.

One module per report (`senders`, `spikes`, `scripts`, `auth`, `trace`) plus the helpers
they share (`common`). Nothing here reads files, knows the disk layout or the command
line: `analyzer.api` loads the tables for the asked window and calls these functions,
which is also what makes them easy to test on hand-made frames. The rules and their
parameters are documented in `docs/reports.md`.
"""
