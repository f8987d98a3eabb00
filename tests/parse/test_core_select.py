"""ANALYZER_CORE and the choice of the parse core (`analyzer.parse.core`), with the
compiled module present or not (its absence simulated)."""

import pytest

from analyzer.errors import AnalyzerError
from analyzer.parse import batch, core


@pytest.fixture
def missing(monkeypatch):
    """The compiled core not installed, the one-time notice not given yet."""
    monkeypatch.setattr(core, "compiled", lambda: None)
    monkeypatch.setattr(core, "_noticed", False)


@pytest.fixture
def installed(monkeypatch):
    monkeypatch.setattr(core, "compiled", lambda: object())


def test_default_is_rust_when_installed(monkeypatch, installed):
    monkeypatch.delenv("ANALYZER_CORE", raising=False)
    assert core.core_in_use() == "rust"
    assert core.fallback_notice() is None


def test_default_falls_back_to_python_with_one_notice(monkeypatch, missing, capsys):
    monkeypatch.delenv("ANALYZER_CORE", raising=False)
    assert core.core_in_use() == "python"
    assert core.batch_parser() is batch.parse_batch
    core.announce_fallback()
    core.announce_fallback()
    err = capsys.readouterr().err
    assert err == f"analyzer: {core.FALLBACK_NOTICE}\n"  # once per process
    assert "not installed" in err and "pure-Python" in err


@pytest.mark.parametrize("value", ["python", " Python "])
def test_python_asked(monkeypatch, installed, value):
    monkeypatch.setenv("ANALYZER_CORE", value)
    assert core.core_in_use() == "python"
    assert core.batch_parser() is batch.parse_batch
    assert core.fallback_notice() is None  # asked for: nothing to say


def test_rust_asked_but_missing_is_one_clear_error(monkeypatch, missing):
    monkeypatch.setenv("ANALYZER_CORE", "rust")
    with pytest.raises(AnalyzerError) as e:
        core.core_in_use()
    assert str(e.value) == core.MISSING and "\n" not in str(e.value)
    assert core.fallback_notice() is None


def test_unknown_core_is_an_error(monkeypatch):
    monkeypatch.setenv("ANALYZER_CORE", "fortran")
    with pytest.raises(AnalyzerError, match="ANALYZER_CORE must be one of python, rust"):
        core.core_in_use()


def test_rust_parse_batch_when_built(monkeypatch):
    if core.compiled() is None:
        pytest.skip("the compiled core (analyzer._core) is not built (no cargo at install)")
    from analyzer.parse import rust_batch

    monkeypatch.setenv("ANALYZER_CORE", "rust")
    assert core.batch_parser() is rust_batch.parse_batch


def test_version_and_status_name_the_core_in_use(monkeypatch, sample):
    from typer.testing import CliRunner

    from analyzer import api
    from analyzer.cli.app import app

    for asked in ("python", None):
        if asked:
            monkeypatch.setenv("ANALYZER_CORE", asked)
        else:
            monkeypatch.delenv("ANALYZER_CORE", raising=False)
        in_use = core.core_in_use()
        assert in_use == (asked or ("rust" if core.compiled() else "python"))
        version = CliRunner().invoke(app, ["--version"])
        assert version.exit_code == 0 and f"(parse core: {in_use};" in version.output
        assert api.status(sample.data)["core"] == in_use
        engine = "compiled" if in_use == "rust" else "python"
        assert api.status(sample.data)["engine"] == core.engine_in_use() == engine
        correlation = (
            "compiled engine for Postfix, Exim and Sendmail, else python"
            if engine == "compiled"
            else "python"
        )
        assert f"correlation: {correlation}" in version.output
        shown = CliRunner().invoke(app, ["status", "--data", str(sample.data)])
        assert shown.exit_code == 0 and f"parse core: {in_use}" in shown.output


def test_analyzer_engine_selects_the_correlator(monkeypatch):
    """`ANALYZER_ENGINE=python` keeps the Python correlator under the compiled core; an
    unknown value is a clear error; the Python core never runs the engine."""
    monkeypatch.setenv("ANALYZER_CORE", "python")
    monkeypatch.delenv("ANALYZER_ENGINE", raising=False)
    assert core.engine_in_use() == "python"
    monkeypatch.setenv("ANALYZER_ENGINE", "fast")
    with pytest.raises(AnalyzerError, match="ANALYZER_ENGINE must be one of python, compiled"):
        core.engine_in_use()
    if core.compiled() is not None:
        monkeypatch.setenv("ANALYZER_CORE", "rust")
        monkeypatch.setenv("ANALYZER_ENGINE", "python")
        assert core.engine_in_use() == "python"
        monkeypatch.delenv("ANALYZER_ENGINE")
        assert core.engine_in_use() == "compiled"
