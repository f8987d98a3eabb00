"""Mail-log abuse analyzer: MTA logs -> Parquet tables charged to accountable identities."""

__version__ = "0.1.0"
