"""Baselines on the same networks and training engine as MIM and cMIM.

So that comparisons are fair, each baseline reuses the MIM encoder (and
decoder) and the skorch engine; only the loss differs:

* :class:`VAETransformer`: the variational auto-encoder (negative ELBO);
* :class:`CVAETransformer`: the VAE plus cMIM's contrastive term;
* :class:`InfoNCETransformer`: the encoder alone, trained with NT-Xent
  between two augmented views (Gaussian noise and feature dropout).
"""

from numbers import Real

from sklearn.utils._param_validation import Interval

from .estimators import (
    BaseContrastiveEncoderDecoder,
    BaseEncoderDecoder,
    BaseRepresentation,
    _check_hidden_layer_sizes,
    compose_docstring,
)
from .losses import NTXentLoss
from .networks import AugmentedEncoder

__all__ = ["CVAETransformer", "InfoNCETransformer", "VAETransformer"]


class VAETransformer(BaseEncoderDecoder):
    _objective = "vae"


class CVAETransformer(BaseContrastiveEncoderDecoder):
    _objective = "vae"


class InfoNCETransformer(BaseRepresentation):
    _parameter_constraints = {
        **BaseRepresentation._parameter_constraints,
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "feature_dropout": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        n_components=16,
        *,
        hidden_layer_sizes=(512, 512),
        max_epochs=50,
        batch_size=128,
        learning_rate=1e-3,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        warm_start=False,
        device="auto",
        mixed_precision=False,
        callbacks=None,
        random_state=None,
        verbose=0,
        temperature=0.1,
        noise_std=0.5,
        feature_dropout=0.2,
    ):
        super().__init__(
            n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            max_epochs=max_epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            warm_start=warm_start,
            device=device,
            mixed_precision=mixed_precision,
            callbacks=callbacks,
            random_state=random_state,
            verbose=verbose,
        )
        self.temperature = temperature
        self.noise_std = noise_std
        self.feature_dropout = feature_dropout

    def _module_spec(self, n_features):
        return AugmentedEncoder, {
            "n_features": n_features,
            "hidden_layer_sizes": _check_hidden_layer_sizes(self.hidden_layer_sizes),
            "n_components": self.n_components,
            "noise_std": self.noise_std,
            "feature_dropout": self.feature_dropout,
        }

    def _criterion_spec(self):
        return NTXentLoss, {"temperature": self.temperature}


_ENCODER_ATTRIBUTES = ["mean_", "scale_", "net_", "history_", "n_iter_", "n_features_in_", "feature_names_in_"]

compose_docstring(
    VAETransformer,
    """Variational auto-encoder baseline, on the MIM networks.

    Trained with the negative ELBO ``-[log p(x|z) + log P(z) - log q(z|x)]``
    (one reparameterised sample).  Same parameters, methods and informative
    embeddings as :class:`~skcmim.MIMTransformer`.
    """,
    """
    See Also
    --------
    skcmim.MIMTransformer : flips the sign of the encoder entropy term.
    """,
)

compose_docstring(
    CVAETransformer,
    """VAE plus cMIM's contrastive term (a baseline for cMIM).

    ``L_i = L_i(VAE) - contrastive_weight * log p(k=1 | z_i, x_i)``, with
    the same mean-normalised contrastive term as
    :class:`~skcmim.CMIMTransformer`.
    """,
    """
    See Also
    --------
    skcmim.CMIMTransformer : the same contrastive term on the MIM loss.
    """,
)

compose_docstring(
    InfoNCETransformer,
    """InfoNCE (NT-Xent, SimCLR-style) baseline on the MIM encoder.

    Two augmented views of each sample (Gaussian noise of ``noise_std`` on
    standardised features, then ``feature_dropout``) are encoded, and each
    code must identify its partner among all ``2B - 1`` other codes of the
    batch.  The negatives are summed, so the loss, and its optimum, depend
    on the batch size.  There is no decoder: no ``inverse_transform``,
    ``sample``, ``score`` or informative embeddings.  Features are
    standardised internally.
    """,
    """
    See Also
    --------
    skcmim.CMIMTransformer : contrastive without augmentations, with a decoder.
    """,
    param_docs={
        "temperature": ("float, default=0.1", "Temperature of the NT-Xent softmax."),
        "noise_std": ("float, default=0.5", "Standard deviation of the view noise (standardised units)."),
        "feature_dropout": ("float, default=0.2", "Probability of zeroing a feature in a view."),
        "hidden_layer_sizes": ("tuple of int, default=(512, 512)", "Hidden widths of the MLP encoder."),
    },
    attributes=_ENCODER_ATTRIBUTES,
)
