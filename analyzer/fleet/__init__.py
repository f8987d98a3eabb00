"""A fleet of mail servers in one dataset: one sub-dataset per host, filled by one Dask
task per host (`dask_ingest`), laid out and found by `layout`, read as one by `reading`.
See docs/scale.md."""
