"""What a relay-spikes report reads, computes and gives back, shared by both
implementations (pandas in `reports.spikes`, Arrow in `reports.arrow.spikes`): the
parameters of the baseline and their checks, the columns, the robust baseline itself (on
numpy arrays), the fixed bucket sizes the Arrow path understands and the grid of buckets
pandas' `resample` makes with them. Imports neither pandas nor pyarrow at load time (the
CLI path of `relay-spikes` must not import pandas)."""

from __future__ import annotations

import re

import numpy as np

WINDOW = 24  # trailing buckets in the baseline
MIN_HISTORY = 6  # fewer earlier buckets: use the whole series
Z = 5.0  # robust z-score a spike must exceed
MIN_COUNT = 10  # and at least this many rejects in the bucket
TOP = 5  # entries in each top list

REJECT_COLUMNS = ["ts", "client_ip", "reason_class", "sender", "helo", "local_client"]
SENDER_COLUMNS = ["identity", "sender", "sasl_username", "filter_of"]
DELIVERY_COLUMNS = ["program", "status", "recipient_domain"]

COLUMNS = [
    "start",
    "end",
    "count",
    "baseline",
    "threshold",
    "spike",
    "local_count",
    "internet_count",
    "source",
    "top_clients",
    "top_senders",
    "top_sender_domains",
    "top_helos",
    "responsible",
    "responsible_domain",
    "responsible_accounts",
]
# column of the result -> what its top list counts (the relay rows' column)
TOPS = {
    "top_clients": "client_ip",
    "top_senders": "_sender",
    "top_sender_domains": "_sender_domain",
    "top_helos": "_helo",
}

DAY_US = 86_400_000_000
_UNITS_US = {"s": 1_000_000, "min": 60_000_000, "h": 3_600_000_000, "D": DAY_US}
_FIXED = re.compile(r"^(\d*)(s|min|h|D)$")


def checked_params(
    window: int | None = None,
    min_history: int | None = None,
    z: float | None = None,
    min_count: int | None = None,
) -> dict:
    """The baseline's parameters, the defaults where None."""
    from ..errors import AnalyzerError

    params = {
        "window": WINDOW if window is None else int(window),
        "min_history": MIN_HISTORY if min_history is None else int(min_history),
        "z": Z if z is None else float(z),
        "min_count": MIN_COUNT if min_count is None else int(min_count),
    }
    if params["window"] < 1 or params["min_history"] < 1:
        raise AnalyzerError("the baseline window and min_history must be at least 1 bucket")
    return params


def fixed_step(bucket: str) -> int | None:
    """The length in µs of a bucket of fixed size (`90s`, `15min`, `1h`, `2D`), the sizes
    the Arrow path computes; None for any other pandas offset (`W`, `MS`...: the pandas
    path) or a size that is not positive (the pandas path refuses it)."""
    m = _FIXED.match(bucket)
    if not m:
        return None
    n = int(m[1]) if m[1] else 1
    return n * _UNITS_US[m[2]] if n > 0 else None


def grid_starts(first: int, last: int, step: int) -> np.ndarray:
    """The starts (µs) of the buckets of `step` µs from the one holding `first` to the one
    holding `last`, as pandas' `resample(closed="left", label="left")` lays them: counted
    from the UTC midnight of `first` (its `origin="start_day"`)."""
    origin = first - first % DAY_US
    lo = origin + (first - origin) // step * step
    return lo + step * np.arange((last - lo) // step + 1, dtype=np.int64)


def baseline(
    values: np.ndarray,
    window: int = WINDOW,
    min_history: int = MIN_HISTORY,
    z: float = Z,
    min_count: int = MIN_COUNT,
) -> dict[str, np.ndarray]:
    """`baseline`, `threshold` and `spike` of each bucket of the counts `values` (see
    `reports.spikes`' docstring for the rule)."""
    values = np.asarray(values, dtype="float64")
    n = len(values)
    padded = np.concatenate([np.full(window, np.nan), values])
    # row i holds the `window` buckets before bucket i (NaN before the series began)
    trailing = (
        np.lib.stride_tricks.sliding_window_view(padded[:-1], window)
        if n
        else np.empty((0, window))
    )
    history = np.sum(~np.isnan(trailing), axis=1)
    with np.errstate(all="ignore"), _quiet_nan_warnings():
        med = np.nanmedian(trailing, axis=1) if n else np.empty(0)
        mad = np.nanmedian(np.abs(trailing - med[:, None]), axis=1) if n else np.empty(0)
    if n:
        whole_med = float(np.median(values))
        whole_mad = float(np.median(np.abs(values - whole_med)))
        short = history < min_history
        med = np.where(short, whole_med, med)
        mad = np.where(short, whole_mad, mad)
    spread = np.maximum(1.4826 * mad, np.sqrt(np.maximum(med, 1.0)))
    threshold = med + z * spread
    return {
        "baseline": med,
        "threshold": threshold,
        "spike": (values > threshold) & (values >= min_count),
    }


def source_of(count: np.ndarray, local_count: np.ndarray) -> np.ndarray:
    """Where a bucket's relay-denied rejects came from: none, local (most), mixed,
    internet."""
    return np.select(
        [count == 0, local_count * 2 > count, local_count > 0],
        ["none", "local", "mixed"],
        "internet",
    )


def relay_in(arrow, starts: np.ndarray, ends: np.ndarray):
    """The relay-denied rows of an Arrow table inside the buckets [starts, ends) (µs), as
    a boolean array (a `where` of `Window.read`: it judges each row alone)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    relay = pc.fill_null(pc.equal(arrow["reason_class"], "relay_denied"), False).to_numpy(
        zero_copy_only=False
    )
    times = pc.cast(arrow["ts"], pa.int64()).to_numpy(zero_copy_only=False)
    pos = np.searchsorted(starts, times, side="right") - 1
    inside = (pos >= 0) & (ends[np.clip(pos, 0, None)] > times) if len(starts) else pos < -1
    return pa.array(relay & inside)


class _quiet_nan_warnings:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
