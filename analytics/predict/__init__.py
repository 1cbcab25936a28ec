"""Predictive maintenance: baselines, the streaming anomaly detector, the rules, and predictions scored when due."""
