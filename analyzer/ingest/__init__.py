"""One ingest run: plan the sources (`plan`), read them through the parse workers into the
correlator (`read_source`), commit parts, open state and checkpoint (`commit`); `run.ingest`
drives it."""
