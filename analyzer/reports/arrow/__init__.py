"""The reports computed on Arrow tables and numpy, without pandas (the CLI's fast paths)."""
