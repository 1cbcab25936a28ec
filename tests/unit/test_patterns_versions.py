"""Outcomes recorded while the playbook is applied do not carry over to a first learned solution."""

import pytest

from analytics.patterns.learning import edit_solution, get_pattern, record_error, record_outcome

pytestmark = pytest.mark.slow  # measured: 3 s in all


def test_a_new_solution_starts_from_its_own_outcomes_in_cli_and_dashboard_alike(store):
    p = record_error(store, "connect ECONNREFUSED 10.0.0.5:6379", component="redis")
    ref = p["error_hash"]
    for worked in (True, True, False, True):
        record_outcome(store, ref, worked)  # the playbook was applied
    assert (get_pattern(store, ref)["success_count"], get_pattern(store, ref)["failure_count"]) == (3, 1)
    # the CLI's `fix record --solution` (a new solution with its outcome)...
    after = record_outcome(store, ref, True, solution="systemctl restart redis-server")
    assert (after["success_count"], after["failure_count"]) == (1, 0)
    assert store.scalar("SELECT min(solution_version) FROM fix_history") == 0  # playbook outcomes: version 0
    # ...and the dashboard's `e` (edit) follow the same rule: a new version starts from zero
    v = edit_solution(store, ref, "systemctl restart redis-server && redis-cli ping")
    p = get_pattern(store, ref)
    assert v == 2 and (p["success_count"], p["failure_count"]) == (0, 0)
