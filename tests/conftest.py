import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ANALYZER_SHARED", ROOT.parent / "shared"))
CORPORA = SHARED / "corpora"
SAMPLE_LOGS = ROOT / "sample_logs"


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.fail(f"real-world corpora not found at {CORPORA} (set ANALYZER_SHARED)")
    return CORPORA
