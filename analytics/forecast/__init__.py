"""Forecasting: the straight-line and seasonal forecasters, their backtests, stored forecasts and sparkline data."""
