"""Deterministic generators of synthetic mail logs with planted incidents and ground truth.

``python -m analyzer.samplegen postfix ...`` writes ``sample_logs/maillog`` and its
``truth/maillog.json``; see ``docs/sample-logs.md``.
"""

from .postfix import generate_postfix, write_postfix, write_truth

__all__ = ["generate_postfix", "write_postfix", "write_truth"]
