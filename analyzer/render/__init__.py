"""Output shared by the command line and the nightly page: tables, JSON, CSV (`output`),
plotly charts (`charts`), log text made safe for a terminal (`terminal`)."""
