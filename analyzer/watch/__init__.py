"""`analyzer watch`: follow the logs, find incidents within a minute, alert once.

`state` keeps the open incidents (atomically, under the dataset's `_state/`), `engine`
decides from one evaluation which alerts to emit (open, escalated, closed), `rate_limit`
summarises a flood of them, `outputs` sends them (JSON lines, a command per alert),
`mail_text` and `syslog_line` are the e-mail-ready text and syslog forms, `loop` ties
ingest, evaluation and outputs together every interval.
"""
