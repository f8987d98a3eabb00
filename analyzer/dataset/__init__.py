"""The dataset: Parquet parts, the checkpoint and the open state it declares (`checkpoint`),
one consistent snapshot per reader (`reading`, `snapshot`), `status`; nothing here parses
or correlates."""
