"""The DA charts draw always-up at every horizon, so no accuracy is pictured without its baseline."""

from pathlib import Path

import numpy as np
import pytest

from pipelines import charts

HORIZONS = [1, 5, 10]
ALWAYS_UP = [53.9, 59.0, 61.9]


@pytest.fixture
def drawn(monkeypatch):
    figures = []

    def keep(fig, path: Path) -> None:
        figures.append(fig)

    monkeypatch.setattr(charts, "_save", keep)
    yield figures
    for fig in figures:
        charts.plt.close(fig)


def test_model_ranking_draws_always_up_at_each_horizon_and_names_every_edge(drawn):
    charts.model_ranking(
        Path("unused.png"), HORIZONS, {"ridge": [50.5, 57.0, 56.9], "huber": [51.3, 57.2, 58.1]}, ALWAYS_UP
    )
    ax = drawn[0].axes[0]
    baseline = next(line for line in ax.get_lines() if line.get_label().startswith("always up"))
    np.testing.assert_allclose(baseline.get_xdata(), HORIZONS)
    np.testing.assert_allclose(baseline.get_ydata(), ALWAYS_UP)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[0].startswith("huber: 55.5% (-2.7 pp vs always-up)")  # ranked first, with its edge


def test_heatmap_has_an_always_up_row_and_colours_the_edge(drawn):
    da = np.array([[50.5, 57.0, 56.9], [51.3, 57.2, 58.1]])
    charts.metrics_heatmap(Path("unused.png"), ["ridge", "huber"], HORIZONS, da, ALWAYS_UP)
    ax = drawn[0].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ridge", "huber", "always up"]
    edge = ax.get_images()[0].get_array()
    np.testing.assert_allclose(edge[-1], 0.0)
    np.testing.assert_allclose(edge[0], da[0] - np.array(ALWAYS_UP))
    assert [t.get_text() for t in ax.texts][-3:] == ["53.9", "59.0", "61.9"]
