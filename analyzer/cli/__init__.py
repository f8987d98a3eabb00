"""One module per command family; `analyzer.cli.app` registers them."""
