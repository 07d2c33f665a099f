"""Worker processes: the ``n_jobs`` parameter, checked once and capped at the machine's cores."""

from __future__ import annotations

import os
from numbers import Integral

from joblib import effective_n_jobs

__all__ = ["check_n_jobs"]


def _cores():
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on (containers, taskset)
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def check_n_jobs(n_jobs: int | None) -> int:
    """The number of worker processes ``n_jobs`` asks for, at most the cores this process may use.

    joblib's convention: None is 1 (or the active ``joblib.parallel_config``),
    -1 all cores, -2 all but one.

    Raises
    ------
    ValueError
        For 0, a bool or anything that is not an integer or None.
    """
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral) or n_jobs == 0):
        raise ValueError(
            f"n_jobs must be None, a positive number of processes or a negative count from all "
            f"cores (-1: all); got {n_jobs!r}."
        )
    return max(1, min(int(effective_n_jobs(None if n_jobs is None else int(n_jobs))), _cores()))
