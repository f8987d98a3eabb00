"""Lines -> events: the header readers (`header`), the pattern tables per MTA (`patterns/`),
one event dict per line (`events`), a batch of bytes at a time (`batch.parse_batch`, the
seam a compiled core replaces) in worker processes (`workers`)."""
