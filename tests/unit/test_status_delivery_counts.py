"""What `lokifi status` says of the alerts recorded per state: each state counted, and the states a user
cannot read at a glance explained beside their count."""

from __future__ import annotations

from lokifi_tui.cli.status import _delivery_counts


def test_every_state_is_counted_in_order_and_posting_is_explained():
    said = _delivery_counts({"firing": 2, "posting": 1, "resolved": 5})
    assert said.startswith(" — alerts: 1 posting (posted, Alertmanager's answer not recorded: ")
    assert said.endswith(", 2 firing, 5 resolved")
    assert "the next delivery sends it again" in said


def test_no_state_recorded_says_nothing():
    assert _delivery_counts({}) == "" and _delivery_counts({"firing": 0}) == ""
