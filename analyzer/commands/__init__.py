"""One module per command family; `analyzer.cli` registers them."""
