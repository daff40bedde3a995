"""A small dense two-phase simplex for the pile planner's linear programmes.

The planner's programmes have at most a few dozen columns, so a textbook tableau with
Bland's rule (which cannot cycle) solves them in well under a millisecond and spares the
installer SciPy's tens of megabytes. Variables are non-negative; upper bounds come in as
rows. Callers scale their data to order one: tolerances here are absolute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

TOL = 1e-9

FloatArray = npt.NDArray[np.float64]


class LpStatus(StrEnum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"


@dataclass(frozen=True, slots=True)
class LpResult:
    status: LpStatus
    x: tuple[float, ...]
    objective: float


Row = Sequence[float]


def minimize(
    cost: Row,
    a_ub: Sequence[Row] = (),
    b_ub: Row = (),
    a_eq: Sequence[Row] = (),
    b_eq: Row = (),
) -> LpResult:
    """Minimise cost·x subject to a_ub·x ≤ b_ub, a_eq·x = b_eq, x ≥ 0."""
    n = len(cost)
    rows: list[tuple[list[float], float, bool]] = []  # coefficients, rhs, has a slack
    for coeffs, rhs in zip(a_ub, b_ub, strict=True):
        rows.append((list(coeffs), float(rhs), True))
    for coeffs, rhs in zip(a_eq, b_eq, strict=True):
        rows.append((list(coeffs), float(rhs), False))
    m = len(rows)
    n_slack = sum(1 for _, _, s in rows if s)
    # Rows whose slack cannot start in the basis (equalities, negative right-hand sides)
    # get an artificial variable; phase 1 drives those to zero.
    needs_art = [not (s and rhs >= 0) for _, rhs, s in rows]
    n_art = sum(needs_art)
    width = n + n_slack + n_art
    t: FloatArray = np.zeros((m + 1, width + 1))
    basis: list[int] = []
    slack_col, art_col = n, n + n_slack
    for i, (coeffs, rhs, has_slack) in enumerate(rows):
        sign = -1.0 if rhs < 0 else 1.0
        t[i, :n] = np.asarray(coeffs, dtype=np.float64) * sign
        t[i, -1] = rhs * sign
        if has_slack:
            t[i, slack_col] = sign
            if not needs_art[i]:
                basis.append(slack_col)
            slack_col += 1
        if needs_art[i]:
            t[i, art_col] = 1.0
            basis.append(art_col)
            art_col += 1
    if n_art:
        phase1 = np.zeros(width)
        phase1[n + n_slack :] = 1.0
        _set_objective(t, basis, phase1)
        if not _iterate(t, basis, width):  # phase 1 is bounded below by zero
            raise AssertionError("phase 1 cannot be unbounded")
        if -t[-1, -1] > 1e-7:
            return LpResult(LpStatus.INFEASIBLE, (), float("inf"))
        _drive_out_artificials(t, basis, n + n_slack)
        keep = [i for i in range(m) if basis[i] < n + n_slack]
        t = np.vstack([t[keep], t[-1:]])
        basis = [basis[i] for i in keep]
        t = np.hstack([t[:, : n + n_slack], t[:, -1:]])
        width = n + n_slack
    full_cost = np.zeros(width)
    full_cost[:n] = np.asarray(cost, dtype=np.float64)
    _set_objective(t, basis, full_cost)
    if not _iterate(t, basis, width):
        return LpResult(LpStatus.UNBOUNDED, (), float("-inf"))
    x = np.zeros(width)
    for i, col in enumerate(basis):
        x[col] = t[i, -1]
    values = tuple(max(0.0, float(v)) for v in x[:n])
    return LpResult(LpStatus.OPTIMAL, values, float(np.dot(full_cost[:n], x[:n])))


def _set_objective(t: FloatArray, basis: list[int], cost: FloatArray) -> None:
    """Reduced costs in the last row; its last cell holds minus the objective."""
    t[-1, :] = 0.0
    t[-1, : len(cost)] = cost
    for i, col in enumerate(basis):
        if t[-1, col] != 0.0:
            t[-1, :] -= t[-1, col] * t[i, :]


def _pivot(t: FloatArray, row: int, col: int) -> None:
    t[row, :] /= t[row, col]
    factors = t[:, col].copy()
    factors[row] = 0.0
    t -= np.outer(factors, t[row, :])


def _iterate(t: FloatArray, basis: list[int], width: int) -> bool:
    """Bland's rule to optimality; False when the objective is unbounded below."""
    m = len(basis)
    for _ in range(50_000):
        reduced = t[-1, :width]
        entering = next((j for j in range(width) if reduced[j] < -TOL), None)
        if entering is None:
            return True
        column = t[:m, entering]
        best: tuple[float, int, int] | None = None
        for i in range(m):
            if column[i] > TOL:
                key = (t[i, -1] / column[i], basis[i], i)
                if (
                    best is None
                    or key[0] < best[0] - TOL
                    or (abs(key[0] - best[0]) <= TOL and key[1] < best[1])
                ):
                    best = key
        if best is None:
            return False
        row = best[2]
        _pivot(t, row, entering)
        basis[row] = entering
    raise RuntimeError("simplex did not converge")  # Bland's rule makes this unreachable


def _drive_out_artificials(t: FloatArray, basis: list[int], first_art: int) -> None:
    """Pivot artificials at zero level out of the basis where a real column allows it."""
    for i, col in enumerate(basis):
        if col < first_art:
            continue
        for j in range(first_art):
            if abs(t[i, j]) > 1e-9:
                _pivot(t, i, j)
                basis[i] = j
                break
