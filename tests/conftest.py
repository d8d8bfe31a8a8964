"""Shared test configuration: hypothesis profiles.

CI (the ``CI`` environment variable set) runs a derandomised profile so a run is
repeatable; local runs use a randomised profile with more examples. Both have
no deadline: first calls of numba kernels compile.
"""

import logging
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=60, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", deadline=None, max_examples=100, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))



@pytest.fixture(scope="session")
def dask_client():
    """A ``dask.distributed`` client on a LocalCluster of 2 worker processes (one thread each).

    Shared by every distributed test of the session; workers import fairshare and reuse
    the on-disk numba cache.
    """
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client
