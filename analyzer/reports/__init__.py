"""The abuse reports as pure functions: DataFrames of the dataset in, one DataFrame out.

One module per report (`senders`, `spikes`, `scripts`, `auth`, `trace`), the incident
rules the nightly report applies to them (`incidents`), and the helpers they share
(`common`: address keys, the one message<->delivery join, the per-sender tally,
argument checks; `spec`: the constants of top-senders, free of pandas; `arrow`: top-senders
computed on Arrow tables and numpy for the CLI, tested equal to `senders`). Nothing here reads files, knows the disk layout or the command
line: each module's `*_in(win)` asks an `analyzer.dataset.reading.Window` (one snapshot, one
[since, until)) for the tables it needs and calls the module's pure functions, which is
also what makes those easy to test on hand-made frames. `analyzer.api` and the nightly
report open the window and call `*_in`. The rules and their parameters are documented in
`docs/reports.md`.
"""
