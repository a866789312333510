"""The suggested move, checked against every team hypothesis draws: applying it lowers the team's
highest load, and when no suggestion is made no allowed move would have lowered it."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.workload import Candidate, best_move, moved

TEAM = range(1, 7)
OUTSIDER = 99  # serves a grid but is not in the manager's team


@st.composite
def teams(draw):
    grids = draw(st.lists(st.integers(0, 200), min_size=1, max_size=6))
    holders, receivers, movable = {}, {}, set()
    for grid_id, _load in enumerate(grids):
        holders[grid_id] = frozenset(draw(st.sets(st.sampled_from([*TEAM, OUTSIDER]), max_size=3)))
        receivers[grid_id] = draw(st.sets(st.sampled_from(list(TEAM)), max_size=6))
        if draw(st.booleans()) or grid_id == 0:
            movable.add(grid_id)
    grid_load_of = {grid_id: float(load) for grid_id, load in enumerate(grids)}
    loads = {user_id: 0.0 for user_id in TEAM if any(user_id in on for on in holders.values())}
    for grid_id, on in holders.items():
        for user_id in on & loads.keys():
            loads[user_id] += grid_load_of[grid_id] / len(on)
    distances = {(g, u): draw(st.one_of(st.none(), st.floats(0, 50))) for g in holders for u in TEAM}
    return loads, holders, grid_load_of, movable, receivers, distances


def highest_after(loads, holders, grid_load_of, move) -> float:
    after = moved(loads, holders, grid_load_of, move)
    return max(load for user_id, load in after.items() if user_id in loads or user_id == move.receiver)


def every_move(loads, holders, movable, receivers):
    for grid_id in movable:
        for receiver in receivers[grid_id] - holders[grid_id]:
            for giver in [*(holders[grid_id] & loads.keys()), None]:
                yield Candidate(grid_id, giver, receiver, 0.0, None)


@settings(max_examples=400, deadline=None)
@given(teams())
def test_a_suggestion_lowers_the_highest_load_and_none_is_made_when_nothing_would(team):
    loads, holders, grid_load_of, movable, receivers, distances = team
    pick = best_move(
        loads=loads,
        holders=holders,
        grid_load_of=grid_load_of,
        movable=movable,
        receivers=receivers,
        distance=lambda g, u: distances[g, u],
    )
    highest = max(loads.values(), default=0.0)
    if pick is None:
        for move in every_move(loads, holders, movable, receivers):
            after = highest_after(loads, holders, grid_load_of, move)
            assert after >= highest or math.isclose(after, highest)
        return
    assert pick.grid_id in movable and pick.receiver in receivers[pick.grid_id]
    assert pick.receiver not in holders[pick.grid_id]
    assert pick.giver is None or pick.giver in holders[pick.grid_id]
    after = highest_after(loads, holders, grid_load_of, pick)
    assert after < highest and not math.isclose(after, highest)
    assert math.isclose(after, pick.highest_after)
    # Nothing allowed does better.
    best = min(
        highest_after(loads, holders, grid_load_of, move) for move in every_move(loads, holders, movable, receivers)
    )
    assert math.isclose(best, pick.highest_after) or pick.highest_after < best


def test_between_equal_moves_the_nearest_receiver_wins_and_unknown_distances_rank_last():
    loads = {1: 100.0, 2: 10.0, 3: 10.0, 4: 10.0}
    holders = {0: frozenset({1}), 1: frozenset({2}), 2: frozenset({3}), 3: frozenset({4})}
    grid_load_of = {0: 100.0, 1: 10.0, 2: 10.0, 3: 10.0}
    arguments = {"loads": loads, "holders": holders, "grid_load_of": grid_load_of, "movable": {0}}
    near = {(0, 2): 5.0, (0, 3): 1.5, (0, 4): None}
    pick = best_move(**arguments, receivers={0: {2, 3, 4}}, distance=lambda g, u: near[g, u])
    assert (pick.receiver, pick.giver, pick.distance_km) == (3, None, 1.5)
    unknown = {(0, 2): None, (0, 3): None, (0, 4): 9.0}
    assert best_move(**arguments, receivers={0: {2, 3, 4}}, distance=lambda g, u: unknown[g, u]).receiver == 4
