from webapp.runs import charts
from webapp.runs.charts import Usage, build_bars


def test_bars_stack_cached_input_and_output_on_one_scale():
    chart = build_bars([Usage("a", "", 1000, 200, cached_input_tokens=400, cost_usd=0.01), Usage("b", "", 500, 100)])
    first, second = chart.bars
    assert [s.kind for s in first.segments] == ["cached", "input", "output"]
    assert first.end_x > second.end_x
    assert abs((first.end_x - chart.plot_left) / (second.end_x - chart.plot_left) - 2) < 0.01
    assert first.cost_text == "$0.0100"
    assert "400 of them cached" in first.title


def test_groups_get_one_heading_each():
    chart = build_bars([Usage("R1", "a", 1, 1), Usage("R2", "a", 1, 1), Usage("R1", "b", 1, 1)])
    assert [g.name for g in chart.groups] == ["a", "b"]


def test_the_scale_ends_on_a_round_tick():
    chart = build_bars([Usage("a", "", 31705, 4022)])
    assert chart.ticks[-1].text == "40k"
    assert chart.ticks[-1].x == chart.plot_right


def test_too_many_bars_are_cut_and_counted(monkeypatch):
    monkeypatch.setattr(charts, "MAX_BARS", 3)
    chart = build_bars([Usage(str(i), "", i, 0) for i in range(5)])
    assert chart.truncated and chart.drawn == 3 and chart.total == 5


def test_no_usage_draws_an_empty_chart():
    chart = build_bars([])
    assert not chart.bars and chart.ticks
