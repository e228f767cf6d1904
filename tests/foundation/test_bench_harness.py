"""
The benchmark harness's arithmetic: goals against a peer are judged round
by round.
"""

from __future__ import annotations

import math

from bench.harness import Goal, Trial, Workload


def _trial(target: str, round_: int, rate: float, errors: int = 0) -> Trial:
    nan = float("nan")
    return Trial(target, round_, 100, errors, None, 1.0, rate, 0.0, nan, nan, nan, nan)


def _workload(rates: dict[str, list[float]]) -> Workload:
    workload = Workload("g", "w", "rate")
    for target, values in rates.items():
        workload.trials[target] = [_trial(target, i, value) for i, value in enumerate(values)]
    return workload


def test_a_ratio_is_the_median_of_each_rounds_ratio():
    # The machine ran twice as fast in round 0 and during a's trial of round 1: the rounds
    # say 0.9 (round 1 aside), the medians 1.8.
    workload = _workload({"a": [180, 180, 90], "b": [200, 100, 100]})
    assert (workload.median("a", "rate"), workload.median("b", "rate")) == (180, 100)
    assert math.isclose(workload.paired("a", "b", "rate") or 0, 0.9)


def test_a_round_counts_only_when_both_of_its_trials_are_good():
    workload = _workload({"a": [50, 90, 90], "b": [100, 100, 100]})
    workload.trials["a"][1] = _trial("a", 1, 10, errors=1)
    assert workload.paired("a", "b", "rate") == 0.7


def test_a_difference_is_paired_too():
    workload = _workload({"a": [12, 22, 32], "b": [10, 20, 30]})
    assert workload.paired("a", "b", "rate", difference=True) == 2


def test_without_common_rounds_the_medians_are_compared():
    workload = Workload("g", "w", "rate")
    workload.trials["a"] = [_trial("a", 0, 80)]
    workload.trials["b"] = [_trial("b", 1, 100)]
    assert workload.paired("a", "b", "rate") == 0.8
    assert workload.paired("a", "missing", "rate") is None


def test_a_goal_against_a_peer_is_judged_by_round():
    workload = _workload({"versioned": [91, 182, 45], "unversioned": [100, 200, 50]})
    goal = Goal(">= 0.9x", "rate", subject="versioned", peer="unversioned", at_least=0.9)
    value, met = goal.evaluate(workload)
    assert met is True and math.isclose(value or 0, 0.91)
    value, met = Goal(">= 0.95x", "rate", subject="versioned", peer="unversioned", at_least=0.95).evaluate(workload)
    assert met is False
