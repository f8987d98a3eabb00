"""`analyzer watch`: follow the logs, find incidents within a minute, alert once.

`state` keeps the open incidents (atomically, under the dataset's `_state/`), `engine`
decides from one evaluation which alerts to emit (open, escalated, closed), `outputs`
sends them (JSON lines, a command per alert), `loop` ties ingest, evaluation and outputs
together every interval.
"""
