"""`watch` compacts by itself: at most every `compact_every` of log time the small parts
its commits left are merged, and the dataset reads as one ingested without it."""

from datetime import datetime, timedelta
from pathlib import Path

from helpers import assert_same_dataset, ingest

from analyzer.dataset.compact import compact
from analyzer.samplegen.postfix import generate_postfix
from analyzer.watch import loop
from analyzer.watch.loop import Settings, Watcher

SLICES = 12


def test_watch_compacts_every_so_often_in_log_time(tmp_path, monkeypatch):
    lines, _ = generate_postfix(
        seed=7, days=0.5, start=datetime(2026, 11, 26, 6), messages_per_day=1500
    )
    log = tmp_path / "maillog"
    log.write_text("")
    settings = Settings(
        paths=[str(log)],
        data=str(tmp_path / "data"),
        tz="UTC",
        year=2026,
        compact_every=timedelta(hours=2),
    )
    watcher = Watcher(settings, [])
    compactions: list[datetime] = []
    real = loop.Watcher.compact

    def counted(self, newest):
        before = self.compacted_at
        real(self, newest)
        if self.compacted_at != before:
            compactions.append(newest)

    monkeypatch.setattr(loop.Watcher, "compact", counted)
    for i in range(SLICES):  # each slice an hour of log: a commit per iteration
        with open(log, "a") as f:
            piece = lines[i * len(lines) // SLICES : (i + 1) * len(lines) // SLICES]
            f.write("".join(line + "\n" for line in piece))
        watcher.step()

    # the first iteration, then once the log moved on by two hours each time
    assert len(compactions) >= 3
    assert all(b - a >= timedelta(hours=2) for a, b in zip(compactions, compactions[1:]))
    parts = list(Path(settings.data).glob("messages/date=*/part-*.parquet"))
    assert len(parts) < SLICES // 2  # without compaction: one per iteration at least
    plain = tmp_path / "plain"
    ingest([log], plain, year=2026)
    assert_same_dataset(plain, settings.data)
    assert compact(settings.data).pending == 0  # nothing held for a reader at the end
