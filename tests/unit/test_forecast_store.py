"""Forecasts from the store: the demo's planted latency regression is detected with the seed's rules,
forecasts are recorded as predictions and sparkline rows, and intervals hold up on data whose truth
is known."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from run_once import built_once

from analytics.demo.data import build_demo
from analytics.forecast import stored as F
from analytics.forecast.sparklines import sparkline_data
from analytics.store.database import Store
from analytics.store.metrics import append_metrics
from lokifi_tui.cli.main import cli

NOW = dt.datetime(2026, 11, 20, 12, 0)


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory):
    """The demo's data (no files, no engines run), built once in the run (:func:`run_once.built_once`)."""
    return built_once(tmp_path_factory, "forecast-demo.duckdb", _build)


def _build(path):
    build_demo(path, now=NOW, files=False, engines=False)
    assert not path.with_name(path.name + ".wal").exists()  # the whole database is in the file copied


@pytest.fixture
def demo(demo_path, tmp_path):
    """A private copy of the demo database per test (tests write to it)."""
    dst = tmp_path / "demo.duckdb"
    dst.write_bytes(demo_path.read_bytes())
    return Store(dst)


def by_component(forecasts):
    return {f.component: f for f in forecasts}


@pytest.mark.slow
def test_the_planted_regression_is_found_by_every_model(demo):
    for model in ("linear", "seasonal", "auto"):
        fc = by_component(F.forecast_all(demo, now=NOW, model=model))
        b = fc["backend"]
        assert b.ok and b.trend == "increasing" and b.significant, (model, b)
        assert b.percent_change > 10 and b.colour in ("yellow", "red")
        assert b.lo <= b.forecast <= b.hi
        assert b.linear["slope"] > 5 and b.linear["significant"]
        # the flat services are not flagged
        for comp in ("frontend", "nginx", "postgres", "redis"):
            assert not fc[comp].significant, (model, comp, fc[comp].slope_per_day)


def test_auto_reports_the_chosen_model_and_its_measured_backtest_error(demo):
    b = by_component(F.forecast_all(demo, now=NOW, model="auto", component="backend"))["backend"]
    maes = b.backtest["mae"]
    assert set(maes) == {"linear", "seasonal"}
    assert b.model == min(maes, key=maes.get)
    assert b.backtest_mae == pytest.approx(maes[b.model])
    assert b.backtest_mase is not None and b.backtest_mase > 0
    # the seasonal model follows the planted +8 ms/day much better than a flat or line misreading
    assert b.model == "seasonal" and 5 < b.slope_per_day < 11


def test_insufficient_data_says_how_many_days_are_missing(store):
    ts = [NOW - dt.timedelta(hours=h) for h in range(1, 3 * 24)]
    append_metrics(
        store,
        pl.DataFrame(
            {
                "ts": ts,
                "host": "h1",
                "component": "api",
                "metric": "response_time_ms",
                "value": [100.0] * len(ts),
                "source": "test",
            }
        ),
    )
    [f] = F.forecast_all(store, now=NOW)
    assert not f.ok and f.missing_days in (3, 4)
    assert "more day" in f.message and "7 required" in f.message
    [g] = F.forecast_all(store, now=NOW, component="nothing-here")
    assert not g.ok and "no response_time_ms data for nothing-here" in g.message

    # the dashboard's Forecast pane says what it waits for, not '— → — ?'
    from analytics.forecast.sparklines import forecast_rows
    from lokifi_tui.widgets.panes import forecast_cells

    [row] = sparkline_data(store)
    assert row["note"] == "needs 7 days of data, has 71 h" and row["predicted"] is None
    with store.read() as con:
        [pane_row] = forecast_rows(con, None, 10)
    cells = forecast_cells(pane_row, NOW, width=40)
    assert "needs 7 days of data, has 71 h" in cells[1].plain and "?" not in cells[4].plain


def test_ai_forecast_command_shows_the_seeds_output(demo):
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", str(demo.path), "ai", "forecast", "--no-record"], env={"NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Performance Forecasting" in out and "Component: backend" in out
    assert out.count("Significant trend detected") == 1
    block = out.split("Component: backend")[1].split("Component:")[0]
    assert "Increasing" in block and "Significant trend detected" in block
    assert "Forecast (7 days)" in block and "80% interval" in block and "backtest error" in block
    res = runner.invoke(
        cli,
        [
            "--db",
            str(demo.path),
            "ai",
            "forecast",
            "-c",
            "backend",
            "--days",
            "3",
            "--model",
            "linear",
            "--json",
            "--no-record",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    [b] = data["forecasts"]
    assert b["model"] == "linear" and b["horizon_days"] == 3 and b["trend"] == "increasing" and b["significant"]
    assert b["slope_per_day"] == pytest.approx(b["linear"]["slope"])


def test_ai_forecast_on_an_empty_database_says_so(migrated, tmp_path):
    migrated(tmp_path / "empty.duckdb").schema_version()
    res = CliRunner().invoke(cli, ["--db", str(tmp_path / "empty.duckdb"), "ai", "forecast"])
    assert res.exit_code == 0 and "No response_time_ms data" in res.output


def test_ai_forecast_within_the_first_hour_says_what_it_waits_for(migrated, tmp_path):
    """A collector started minutes ago has readings but no complete hour: not 'no data in the database'."""
    import time

    store = migrated(tmp_path / "new.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if now.minute == 59 and now.second >= 50:  # the hour would end while the command runs
        time.sleep(11)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    first = max(now.replace(minute=0, second=0, microsecond=0), now - dt.timedelta(minutes=5))
    rows = pl.DataFrame(
        {
            "ts": [first, now],
            "host": ["h", "h"],
            "component": ["shop", "shop"],
            "metric": ["response_time_ms", "response_time_ms"],
            "value": [31.0, 29.0],
        }
    )
    assert append_metrics(store, rows)
    res = CliRunner().invoke(cli, ["--db", str(store.path), "ai", "forecast", "--no-record"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert f"shop: response_time_ms readings since {first:%H:%M} UTC, no complete hour yet" in res.output
    assert "need 7 days" in res.output and "No response_time_ms data" not in res.output


def test_forecasts_are_recorded_as_predictions_and_refresh_is_hourly(demo):
    made = F.refresh(demo, now=NOW)
    assert len(made) == 6
    assert F.refresh(demo, now=NOW + dt.timedelta(minutes=20)) == []  # same hour of data: nothing new
    preds = demo.query("SELECT * FROM predictions WHERE prediction_type = 'forecast' ORDER BY component, horizon_hours")
    assert preds.height == 12  # 24 h and 7 days ahead, 6 components
    assert set(preds["horizon_hours"]) == {24.0, 168.0}
    assert (preds["lo"] <= preds["predicted_value"]).all() and (preds["predicted_value"] <= preds["hi"]).all()
    assert (preds["due_at"] > preds["prediction_date"]).all()
    assert set(preds["confidence_kind"]) == {"prior"}
    assert preds["accurate"].null_count() == preds.height  # not scored before they are due
    runs = demo.query("SELECT * FROM forecast_runs")
    assert runs.height == 6 and runs.filter(pl.col("component") == "backend")["significant"][0]


@pytest.mark.slow
def test_24h_forecasts_made_over_the_last_week_were_right_about_80_percent_of_the_time(demo):
    for days_ago in range(7, 0, -1):
        F.refresh(demo, now=NOW - dt.timedelta(days=days_ago))
    rows = demo.query(
        """
        SELECT p.component, p.lo, p.hi, p.predicted_value, h.sum / h.n AS actual
        FROM predictions p JOIN metrics_hourly h
          ON h.component = p.component AND h.metric = p.metric AND h.hour = p.due_at - INTERVAL 1 HOUR
        WHERE p.prediction_type = 'forecast' AND p.horizon_hours = 24 AND p.due_at <= $now
        """,
        {"now": NOW},
    )
    assert rows.height == 42
    inside = ((rows["actual"] >= rows["lo"]) & (rows["actual"] <= rows["hi"])).mean()
    assert 0.6 <= inside <= 0.97


@pytest.mark.slow
def test_forecast_accuracy_is_measured_from_scored_outcomes(demo):
    for days_ago in (3, 2, 1):
        F.refresh(demo, now=NOW - dt.timedelta(days=days_ago))
    assert F.forecast_accuracy(demo)["scored"] == 0
    from analytics.predict.predictions import score_due

    score_due(demo, NOW)  # the product's scorer: actual hourly mean inside [lo, hi]
    scored = demo.query("SELECT * FROM predictions WHERE prediction_type = 'forecast' AND accurate IS NOT NULL")
    assert scored.height == 18
    for r in scored.iter_rows(named=True):
        hour = dt.datetime.fromisoformat(json.loads(r["evidence"])["hour_start"])
        assert hour == r["due_at"] - dt.timedelta(hours=1)
        actual = demo.scalar(
            "SELECT sum(sum) / sum(n) FROM metrics_hourly WHERE component = ? AND metric = ? AND hour = ?",
            [r["component"], r["metric"], hour],
        )
        assert r["actual_value"] == pytest.approx(actual)
        assert r["accurate"] == (r["lo"] <= actual <= r["hi"])
    acc = F.forecast_accuracy(demo)
    assert acc["scored"] == 18 and 0 <= acc["hits"] <= 18
    assert acc["hit_rate"] == pytest.approx(acc["hits"] / 18)
    F.refresh(demo, now=NOW)
    kinds = demo.query(
        "SELECT DISTINCT confidence_kind, confidence_score, confidence_n FROM predictions "
        "WHERE prediction_type = 'forecast' AND prediction_date = $now",
        {"now": NOW},
    )
    # the posterior mean of the measured hit rate, the nominal 80 % worth two outcomes
    assert kinds.rows() == [("measured", pytest.approx((acc["hits"] + 1.6) / (acc["scored"] + 2)), 18)]


@pytest.mark.parametrize(
    ("scored", "hits", "expected"),
    [(0, 0, (0.8, "prior", 0)), (1, 1, (2.6 / 3, "measured", 1)), (1, 0, (1.6 / 3, "measured", 1))],
)
def test_a_forecasts_confidence_is_measured_from_its_first_scored_forecast(monkeypatch, scored, hits, expected):
    seen = {}

    def accuracy(store, component=None, metric=None, host=None):
        seen.update(metric=metric, host=host)
        return {"scored": scored, "hits": hits, "hit_rate": None, "mae": None}

    monkeypatch.setattr(F, "forecast_accuracy", accuracy)
    conf, kind, n = F._confidence(None, "latency_ms", "web-1")
    assert (kind, n) == expected[1:] and conf == pytest.approx(expected[0])
    assert seen == {"metric": "latency_ms", "host": "web-1"}


def test_sparklines_have_14_days_of_history_the_7_day_forecast_and_its_band(demo):
    rows = sparkline_data(demo)
    assert [r["component"] for r in rows] == sorted(r["component"] for r in rows) and len(rows) == 6
    assert all(r["note"] == "no forecast yet" and not r["forecast"] for r in rows)
    F.refresh(demo, now=NOW)
    rows = {r["component"]: r for r in sparkline_data(demo, now=NOW)}
    b = rows["backend"]
    assert len(b["history"]) == 14 * 12 and len(b["forecast"]) == 7 * 12  # in 2-hour buckets
    assert all(lo <= m <= hi for lo, m, hi in zip(b["lo"], b["forecast"], b["hi"], strict=False))
    assert b["trend"] == "increasing" and b["significant"] and b["model"] in ("linear", "seasonal")
    assert b["backtest_error"] > 0 and b["note"] == ""
    # the regression shows: the forecast sits above the start of the history
    assert np.mean(b["forecast"]) > np.mean(b["history"][:12]) + 20


def test_forecasting_again_within_the_hour_stores_no_duplicate_predictions(demo):
    """Looking at the forecast twice must not double the forecast predictions that are later scored."""
    first = F.record(demo, F.forecast_all(demo, now=NOW), now=NOW)
    n = demo.scalar("SELECT count(*) FROM predictions WHERE prediction_type = 'forecast'")
    assert first > 0 and n == first
    F.record(demo, F.forecast_all(demo, now=NOW), now=NOW + dt.timedelta(minutes=20))
    assert demo.scalar("SELECT count(*) FROM predictions WHERE prediction_type = 'forecast'") == n
    dup = demo.scalar(
        "SELECT count(*) FROM (SELECT component, due_at, horizon_hours FROM predictions "
        "WHERE prediction_type = 'forecast' GROUP BY ALL HAVING count(*) > 1)"
    )
    assert dup == 0
