"""The nightly report: its model for a window and the trailing week (`model`), the
self-contained HTML page (`html/`) and the cron mail text (`text`)."""
