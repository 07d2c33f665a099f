"""Baselines on the same networks and training engine as MIM and cMIM.

So that comparisons are fair, each baseline reuses the MIM encoder (and
decoder) and the skorch engine; only the loss differs:

* :class:`VAETransformer`: the variational auto-encoder (negative ELBO);
* :class:`CVAETransformer`: the VAE plus cMIM's contrastive term;
* :class:`InfoNCETransformer`: the encoder alone, trained with NT-Xent
  between two augmented views (numeric data: Gaussian noise and feature
  dropout; molecules: two random SMILES of each molecule).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from .estimators import (
    BaseContrastiveEncoderDecoder,
    BaseEncoderDecoder,
    BaseRepresentation,
    MolecularInput,
    compose_docstring,
)
from .losses import NTXentLoss
from .molecules import randomized_smiles
from .networks import AugmentedEncoder, AugmentedSmilesEncoder

__all__ = ["CVAETransformer", "InfoNCETransformer", "VAETransformer"]


class VAETransformer(BaseEncoderDecoder):
    _objective = "vae"


class CVAETransformer(BaseContrastiveEncoderDecoder):
    _objective = "vae"


class InfoNCETransformer(MolecularInput, BaseRepresentation):
    _parameter_constraints = {
        **BaseRepresentation._parameter_constraints,
        **MolecularInput._parameter_constraints,
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "feature_dropout": [Interval(Real, 0, 1, closed="left")],
        "n_views": [Interval(Integral, 2, None, closed="left")],
    }
    _molecule_hint = MolecularInput._molecule_hint

    def __init__(
        self,
        n_components=16,
        *,
        hidden_layer_sizes="auto",
        max_epochs=50,
        batch_size=128,
        learning_rate=1e-3,
        input_kind="auto",
        max_length=None,
        canonical=True,
        on_invalid="raise",
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
        n_views=4,
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
        self.input_kind = input_kind
        self.max_length = max_length
        self.canonical = canonical
        self.on_invalid = on_invalid
        self.temperature = temperature
        self.noise_std = noise_std
        self.feature_dropout = feature_dropout
        self.n_views = n_views

    def _module_spec(self, n_features):
        sizes = self._hidden_sizes()
        if self._molecular:
            return AugmentedSmilesEncoder, {
                "vocab_size": len(self.tokenizer_.vocabulary_),
                "n_components": self.n_components,
                "hidden_size": sizes[0],
                "num_layers": len(sizes),
                "pad_index": self.tokenizer_.pad_index,
            }
        return AugmentedEncoder, {
            "n_features": n_features,
            "hidden_layer_sizes": sizes,
            "n_components": self.n_components,
            "noise_std": self.noise_std,
            "feature_dropout": self.feature_dropout,
        }

    def _criterion_spec(self):
        return NTXentLoss, {"temperature": self.temperature}

    # ---------------------------------------------------- molecular views
    def _draw_seed(self):
        super()._draw_seed()
        # a new fit draws the same views as a fresh estimator with this random_state
        self._view_rng = np.random.RandomState(self._seed)

    def _random_views(self, smiles):
        """``n_views`` random SMILES of every molecule, one list per view."""
        if getattr(self, "_view_rng", None) is None:  # a loaded model that trains on
            self._view_rng = np.random.RandomState(self._seed + self.n_iter_)
        return [randomized_smiles(smiles, self._view_rng) for _ in range(self.n_views)]

    def _vocabulary_smiles(self, smiles):
        # the views are drawn here once and kept for _training_tokens, which follows
        self._pending_views = smiles, self._random_views(smiles)
        return list(smiles) + [text for view in self._pending_views[1] for text in view]

    def _training_tokens(self, smiles):
        """Token ids of ``n_views`` random SMILES per molecule: ``(n, n_views, length)``."""
        pending, self._pending_views = getattr(self, "_pending_views", None), None
        views = pending[1] if pending is not None and pending[0] is smiles else self._random_views(smiles)
        return np.stack([self.tokenizer_.encode(view, max_length=self.max_length_) for view in views], axis=1)


_ENCODER_ATTRIBUTES = ["input_kind_", "mean_", "scale_", "tokenizer_", "max_length_", "net_", "history_", "n_iter_",
                       "n_features_in_", "feature_names_in_"]

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

    Two augmented views of each sample are encoded, and each code must
    identify its partner among all ``2B - 1`` other codes of the batch.
    Numeric data: Gaussian noise of ``noise_std`` on standardised features,
    then ``feature_dropout``.  Molecules (SMILES strings or RDKit Mols, as
    for :class:`~skcmim.CMIMTransformer`): two different random SMILES of
    the molecule, out of ``n_views`` drawn with RDKit, encoded by a
    bidirectional GRU.  The negatives are summed, so the loss, and its
    optimum, depend on the batch size.  There is no decoder: no
    ``inverse_transform``, ``sample``, ``score`` or informative embeddings.
    ``transform`` encodes the (canonical) input itself.
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
        "hidden_layer_sizes": ('"auto" or tuple of int, default="auto"',
                               'Hidden widths of the encoder: the MLP for numeric data (``"auto"`` is '
                               '(512, 512)), stacked GRU layers of one width for SMILES (``"auto"`` is (256,)).'),
        "n_views": ("int, default=4",
                    "SMILES only: random SMILES drawn per molecule when fitting (by RDKit, from "
                    "``random_state``); every batch contrasts two different ones of them."),
    },
    attributes=_ENCODER_ATTRIBUTES,
)
