"""scikit-learn's estimator contract, including what check_estimator skips."""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_global_output_transform_pandas,
    check_param_validation,
    check_set_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from skcmim import CMIMTransformer, MIMTransformer, NumericInput
from skcmim.baselines import CVAETransformer, InfoNCETransformer, VAETransformer

CHECKED = dict(hidden_layer_sizes=(32, 32), max_epochs=10)
ESTIMATORS = [
    MIMTransformer(**CHECKED),
    CMIMTransformer(**CHECKED),
    CMIMTransformer(informative=True, **CHECKED),
    MIMTransformer(input=NumericInput(likelihood="gaussian"), informative=True, informative_layers=(1,), **CHECKED),
    VAETransformer(**CHECKED),
    CVAETransformer(informative=True, **CHECKED),
    InfoNCETransformer(**CHECKED),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


EXTRA_CHECKS = [
    check_param_validation,
    check_set_output_transform_pandas,
    check_global_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    check_dataframe_column_names_consistency,
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
@pytest.mark.parametrize("check", EXTRA_CHECKS, ids=lambda c: c.__name__)
def test_checks_skipped_by_check_estimator(estimator, check):
    pytest.importorskip("pandas")
    check(type(estimator).__name__, estimator)
