"""`harness report --plot`: a PNG of grouped bars with interval whiskers and value labels."""

import builtins

import pytest

from harness.report.plot import plot_summaries
from harness.report.summary import summarize_runs
from harness.store import Store

from .kit import invoke
from .report_fixtures import add_run

IDS = [f"F{i % 6 + 1}-{i:04d}" for i in range(80)]


@pytest.fixture
def store():
    s = Store()
    add_run(s, "ft", {item: "correct" if i < 73 else "wrong_result" for i, item in enumerate(IDS)})
    add_run(
        s,
        "gemini-2.0-flash",
        {item: "correct" if i < 39 else "exec_error" if i < 70 else "syntax_error" for i, item in enumerate(IDS)},
    )
    add_run(
        s,
        "base",
        {item: "correct" if i < 3 else "syntax_error" if i < 12 else "exec_error" for i, item in enumerate(IDS)},
    )
    yield s
    s.close()


def test_plot_writes_a_png(store, tmp_path):
    target = tmp_path / "plots" / "comparison.png"
    result = invoke("report", "--plot", target)
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.output
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert "## Summary" in result.output  # the report is still printed


def test_plot_draws_three_bars_per_model_with_whiskers_and_labels(store, tmp_path, monkeypatch):
    import matplotlib.figure

    seen = {}
    original = matplotlib.figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        ax = fig.axes[0]
        seen["bars"] = [round(p.get_height(), 2) for p in ax.patches]
        seen["labels"] = [text.get_text() for text in ax.texts]
        seen["ticks"] = [tick.get_text() for tick in ax.get_xticklabels()]
        seen["whiskers"] = [type(c).__name__ for c in ax.containers].count("ErrorbarContainer")
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    summaries = summarize_runs(store, [r for r in store.runs()])
    plot_summaries(summaries, tmp_path / "p.png")
    # drawn level by level (syntax, execution, accuracy), models in run order (ft, gemini, base):
    # ft 73 correct + 7 wrong; gemini 39 correct, 31 exec errors, 10 syntax errors;
    # base 3 correct, 9 syntax errors, 68 exec errors
    assert seen["bars"] == [100.0, 87.5, 88.75, 100.0, 48.75, 3.75, 91.25, 48.75, 3.75]
    assert "91.3" in seen["labels"] and "48.8" in seen["labels"] and len(seen["labels"]) == 9
    assert seen["ticks"] == ["ft\n(n=80)", "gemini-2.0-flash\n(n=80)", "base\n(n=80)"]
    assert seen["whiskers"] == 3  # one set of error bars per level


def test_missing_matplotlib_is_one_clear_error(store, tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    result = invoke("report", "--plot", tmp_path / "p.png")
    assert result.exit_code == 1
    assert "Error: --plot needs matplotlib: pip install 'oncograph-harness[plot]'" in result.output
