"""kokyaku.plot draws headless (Agg); each plot returns its Axes and is not blank (the rendered
image has more than a handful of distinct colours and differs from an empty figure's)."""

import pytest

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib (the kokyaku[plot] extra) is not installed")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import kokyaku  # noqa: E402
import kokyaku.plot as kp  # noqa: E402

BG = kokyaku.BgNbd.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)


def pixels(ax):
    fig = ax.figure
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[:, :, :3].copy()


def assert_drawn(ax):
    img = pixels(ax)
    blank = plt.subplots(figsize=ax.figure.get_size_inches())[1]
    empty = pixels(blank)
    plt.close(blank.figure)
    colours = len(np.unique(img.reshape(-1, 3), axis=0))
    assert colours > 20, f"only {colours} colours: the plot looks blank"
    if img.shape == empty.shape:
        assert (img != empty).any(axis=2).mean() > 0.02, "the plot barely differs from an empty figure"
    plt.close(ax.figure)


def log():
    rows = []
    for c in range(40):
        for k in range(1 + c % 4):
            rows.append({"customer_id": f"c{c}", "order_id": f"{c}-{k}", "ordered_at": f"2024-{1 + (c + 2 * k) % 12:02d}-{1 + c % 27:02d}", "amount": 10 + c + k})
    return kokyaku.from_records(rows)


def test_blank_axes_fail_the_check():
    ax = plt.subplots()[1]
    with pytest.raises(AssertionError):
        assert_drawn(ax)


def test_cohort_retention():
    assert_drawn(kp.cohort_retention(log().retention()))


def test_rfm_grid_and_cpm():
    lg = log()
    assert_drawn(kp.rfm_grid(lg.rfm(frame="records")))
    assert_drawn(kp.rfm_grid(lg.rfm(frame="records"), value="spend"))
    assert_drawn(kp.cpm_classes(lg.cpm_classes()))


@pytest.mark.parametrize("kind", ["expected_purchases", "p_alive"])
def test_frequency_recency_matrices(kind):
    ax = kp.frequency_recency_matrix(BG, T=38.86, kind=kind, max_frequency=12)
    assert ax.get_xlabel().startswith("frequency")
    assert_drawn(ax)


def test_holdout_and_tracking():
    s = {
        "x": [0, 1, 2, 3, 5, 8, 0, 1],
        "t_x": [0, 10, 20, 30, 35, 38, 0, 5],
        "T": [38.86] * 8,
        "holdout_purchases": [0, 1, 1, 2, 4, 6, 0, 0],
    }
    assert_drawn(kp.calibration_vs_holdout(BG, s, horizon=39.0))
    ends = [float(w) for w in range(1, 79)]
    assert_drawn(kp.cumulative_tracking(BG, first_purchase=[0.0, 1.5, 3.0, 6.0] * 50, period_ends=ends, calibration_end=39.0))


PROGRAM = {
    "stages": [{"id": "regular"}, {"id": "silver", "spend": 25}, {"id": "gold", "spend": 60}],
    "window": {"kind": "rolling", "days": 365},
}


def test_stage_distribution():
    d = log().stage_distribution(PROGRAM, as_of="2024-12-31")
    assert len(d["month_ends"]) >= 6 and d["stages"] == ["regular", "silver", "gold"]
    ax = kp.stage_distribution(d)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["regular", "silver", "gold"]
    assert_drawn(ax)
    ax = kp.stage_distribution(d, share=True)
    assert ax.get_ylim()[1] <= 1.05
    assert_drawn(ax)
    # one month end: stacked bars
    assert_drawn(kp.stage_distribution({"month_ends": ["2024-01-31"], "stages": ["a", "b"], "counts": [[3, 2]]}))


def test_docstring_example_runs():
    import doctest

    r = doctest.testmod(kp)
    assert r.attempted >= 4 and r.failed == 0
