"""The planner's hand-rolled simplex against brute-force vertex enumeration on small LPs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from compost_desktop.domain import simplex

coef = st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 2))


def brute_force(
    c: list[float],
    a_ub: list[list[float]],
    b_ub: list[float],
    a_eq: list[list[float]],
    b_eq: list[float],
) -> float | None:
    """Min over every vertex of {a_ub x ≤ b_ub, a_eq x = b_eq, x ≥ 0}; None when empty."""
    n = len(c)
    rows = [(r, b) for r, b in zip(a_ub, b_ub, strict=True)]
    rows += [([-1.0 if i == j else 0.0 for i in range(n)], 0.0) for j in range(n)]
    best: float | None = None
    for chosen in itertools.combinations(range(len(rows)), n - len(a_eq)):
        m = np.array([*a_eq, *(rows[i][0] for i in chosen)], dtype=float)
        rhs = np.array([*b_eq, *(rows[i][1] for i in chosen)], dtype=float)
        if m.shape[0] != n or abs(np.linalg.det(m)) < 1e-9:
            continue
        x = np.linalg.solve(m, rhs)
        ok = all(np.dot(r, x) <= b + 1e-7 for r, b in rows) and all(
            abs(np.dot(r, x) - b) <= 1e-7 for r, b in zip(a_eq, b_eq, strict=True)
        )
        if ok:
            value = float(np.dot(c, x))
            best = value if best is None else min(best, value)
    return best


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_simplex_matches_vertex_enumeration(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 4))
    n_ub = data.draw(st.integers(0, 3))
    n_eq = data.draw(st.integers(0, min(2, n)))
    c = data.draw(st.lists(coef, min_size=n, max_size=n))
    a_ub = [data.draw(st.lists(coef, min_size=n, max_size=n)) for _ in range(n_ub)]
    b_ub = data.draw(st.lists(coef, min_size=n_ub, max_size=n_ub))
    a_eq = [data.draw(st.lists(coef, min_size=n, max_size=n)) for _ in range(n_eq)]
    b_eq = data.draw(st.lists(coef, min_size=n_eq, max_size=n_eq))
    # Vertex enumeration needs independent equalities (the simplex handles the rest, below).
    assume(not a_eq or np.linalg.matrix_rank(np.array(a_eq)) == n_eq)
    # A box keeps every programme bounded, so the vertex minimum is the optimum.
    a_ub += [[1.0 if i == j else 0.0 for i in range(n)] for j in range(n)]
    b_ub += [10.0] * n
    expected = brute_force(c, a_ub, b_ub, a_eq, b_eq)
    got = simplex.minimize(c, a_ub, b_ub, a_eq, b_eq)
    if expected is None:
        assert got.status is simplex.LpStatus.INFEASIBLE
    else:
        assert got.status is simplex.LpStatus.OPTIMAL
        assert got.objective == pytest.approx(expected, abs=1e-6)
        x = np.array(got.x)
        assert all(np.dot(r, x) <= b + 1e-7 for r, b in zip(a_ub, b_ub, strict=True))
        assert all(abs(np.dot(r, x) - b) <= 1e-7 for r, b in zip(a_eq, b_eq, strict=True))


def test_unbounded_and_degenerate_cases() -> None:
    assert simplex.minimize([-1.0]).status is simplex.LpStatus.UNBOUNDED
    # A redundant equality (twice the same row) leaves an artificial at zero in the basis.
    r = simplex.minimize([1.0, 1.0], a_eq=[[1.0, 1.0], [2.0, 2.0]], b_eq=[1.0, 2.0])
    assert r.status is simplex.LpStatus.OPTIMAL and r.objective == pytest.approx(1.0)
    # Degenerate vertex (several constraints through the optimum): Bland's rule terminates.
    r = simplex.minimize(
        [-1.0, -1.0],
        a_ub=[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 2.0]],
        b_ub=[1.0, 1.0, 2.0, 3.0],
    )
    assert r.objective == pytest.approx(-2.0)
