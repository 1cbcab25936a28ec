"""Forecasting: the straight-line and seasonal forecasters, their backtests, stored forecasts and sparkline data."""

#: calendar days of hourly means a forecast needs (here, light: the dashboard's sparkline read says so
#: without loading NumPy)
MIN_DAYS = 7
