"""Parameters are checked before any work: types, ranges, worker counts and the size of the network."""

import os

import numpy as np
import pytest

from skcmim import CMIMTransformer, MIMTransformer
from skcmim._parallel import check_n_jobs
from skcmim.baselines import InfoNCETransformer
from skcmim.training import fit as training_fit

from conftest import FAST, TINY


@pytest.mark.parametrize("name", ["n_components", "batch_size", "max_epochs", "n_iter_no_change"])
@pytest.mark.parametrize("value", [True, False])
def test_a_bool_is_not_a_count(name, value, digits_small):
    with pytest.raises(ValueError, match=f"'{name}' parameter of CMIMTransformer must be an int .* Got {value}"):
        CMIMTransformer(**{**TINY, name: value}).fit(digits_small[0])


@pytest.mark.parametrize("n_jobs", [0, True, 2.0, "2"])
def test_n_jobs_must_be_a_number_of_processes(n_jobs, digits_small):
    with pytest.raises(ValueError, match="n_jobs"):
        CMIMTransformer(**{**TINY, "n_jobs": n_jobs}).fit(digits_small[0])


def test_n_jobs_is_capped_at_the_cores_this_process_may_use():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert check_n_jobs(1000) == cores
    assert check_n_jobs(-1) == cores
    assert check_n_jobs(None) == 1 and check_n_jobs(-10_000) == 1


def test_n_jobs_of_a_fitted_model_is_checked_at_transform(digits_small):
    model = MIMTransformer(**TINY).fit(digits_small[0])
    with pytest.raises(ValueError, match="n_jobs"):
        model.set_params(n_jobs=0).transform(digits_small[0])


@pytest.mark.parametrize("params", [{"hidden_layer_sizes": (10**6, 10**6)}, {"n_components": 10**9}])
def test_a_network_too_large_for_memory_is_refused_before_it_is_built(params, digits_small, monkeypatch):
    built = []
    monkeypatch.setattr(training_fit.MIMNet, "initialize", lambda self: built.append(self))
    with pytest.raises(ValueError, match=r"describes a network of [\d,]+ parameters, which needs about .* GiB"):
        MIMTransformer(**{**TINY, **params}).fit(digits_small[0])
    assert not built


def test_the_size_bound_is_the_device_memory(monkeypatch, digits_small):
    # 64 inputs, one hidden layer of 8, 2 codes: a few thousand parameters
    monkeypatch.setattr(training_fit, "_available_bytes", lambda device: 1000)
    with pytest.raises(ValueError, match="more than the 0.0 GiB of CPU memory"):
        MIMTransformer(**TINY).fit(digits_small[0])


@pytest.mark.parametrize("layers", [("a",), (0.5,), (True,)])
def test_informative_layers_must_be_layer_indices(layers, digits_small):
    model = CMIMTransformer(**FAST).fit(digits_small[0])
    with pytest.raises(ValueError, match="informative_layers must be 'all' or a tuple of layer indices"):
        model.set_params(informative=True, informative_layers=layers).transform(digits_small[0])


@pytest.mark.parametrize("temperature", [1e300, float("inf"), -1.0, float("nan"), True, "1"])
def test_sampling_temperature_is_a_bounded_number(temperature, digits_small):
    model = CMIMTransformer(**FAST).fit(digits_small[0])
    with pytest.raises(ValueError, match="sampling_temperature must be a number from 0"):
        model.inverse_transform(np.zeros((2, 4)), sampling_temperature=temperature)


def test_infonce_takes_only_its_own_parameters():
    assert "informative" not in InfoNCETransformer().get_params()
    assert not hasattr(InfoNCETransformer(), "inverse_transform")
