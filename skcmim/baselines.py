"""Baselines on the same networks and training engine as MIM and cMIM.

So that comparisons are fair, each baseline reuses the MIM encoder (and
decoder) and the skorch engine; only the loss differs:

* :class:`VAETransformer`: the variational auto-encoder (negative ELBO);
* :class:`CVAETransformer`: the VAE plus cMIM's contrastive term;
* :class:`InfoNCETransformer`: the encoder alone, trained with NT-Xent
  between two augmented views (numeric data: Gaussian noise and feature
  dropout; molecules: two random SMILES of each molecule).
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, Literal

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .estimators import (
    BaseContrastiveEncoderDecoder,
    BaseEncoderDecoder,
    BaseRepresentation,
    RandomStateLike,
    _contrastive_temperature,
    _store_params,
)
from .losses import NTXentLoss

__all__ = ["CVAETransformer", "InfoNCETransformer", "VAETransformer"]


class VAETransformer(BaseEncoderDecoder):
    """Variational auto-encoder baseline, on the MIM networks.

    Trained with the negative ELBO ``-[log p(x|z) + log P(z) - log q(z|x)]``
    (one reparameterised sample).  Same parameters, methods and informative
    embeddings as :class:`~skcmim.MIMTransformer`.

    Parameters
    ----------
    n_components : int, default=16
        Width of the code (the latent space).
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Hidden widths.  Numeric data: the MLP encoder's layers (the decoder
        mirrors them); ``"auto"`` is (512, 512).  SMILES: stacked GRU layers
        of one width in the encoder and the decoder; ``"auto"`` is (256,).
    likelihood : {"auto", "bernoulli", "gaussian", "categorical"}, default="auto"
        Decoder likelihood.  ``"auto"`` picks Bernoulli when all of X lies
        in [0, 1] (images scaled to [0, 1]), Gaussian for other numeric data
        and categorical (over tokens) for SMILES.  Gaussian models
        standardise the features internally (``mean_``, ``scale_``) and
        learn one noise scale per feature.
    max_epochs : int, default=50
        Passes over the training data.
    batch_size : int, default=128
        Samples per optimiser step.
    learning_rate : float, default=1e-3
        Adam learning rate.
    informative : bool, default=False
        If True, ``transform`` returns informative embeddings: the code
        ``mu(x)`` followed by the decoder's hidden activations at ``mu(x)``.
        It can be switched with ``set_params`` after fitting; no retraining.
    informative_layers : "all" or tuple of int, default="all"
        Which decoder hidden layers (0 = nearest the code) the informative
        embeddings include.
    input_kind : {"auto", "numeric", "smiles"}, default="auto"
        What X holds.  ``"auto"`` treats a list, 1-D array, pandas Series or
        one-column DataFrame of strings or RDKit ``Mol`` objects as
        molecules, anything else as a numeric matrix.
    max_length : int or None, default=None
        SMILES only: the longest token sequence (``<bos>`` and ``<eos>``
        included) to train on and to generate, at most
        ``skcmim.molecules.MAX_SMILES_LENGTH + 2`` (5,002).  None: the
        longest training SMILES.  Longer training SMILES are an error;
        ``transform`` encodes SMILES of any length (nothing is ever
        truncated).
    canonical : bool, default=True
        SMILES only: canonicalise every molecule with RDKit first, so that
        different SMILES of one molecule get one code.
    on_invalid : {"raise", "nan"}, default="raise"
        SMILES only: what an invalid SMILES, an empty string or a missing
        value does.  ``"raise"``: a ``ValueError`` naming the row and the
        string.  ``"nan"``: ``fit`` leaves the row out (with a warning) and
        ``transform``/``score_samples`` give it a NaN row, so rows stay
        aligned with y.
    alphabet : {"smiles", "selfies"}, default="smiles"
        SMILES only: the token alphabet the network reads and writes.
        ``"selfies"`` writes each (canonical) molecule as SELFIES and learns
        a vocabulary of SELFIES symbols, so that every generated sequence is
        a valid molecule; ``inverse_transform`` and ``sample`` still return
        canonical SMILES (None for a sequence without atoms), and a molecule
        SELFIES cannot write is an invalid row (see ``on_invalid``).
        ``max_length`` counts tokens of this alphabet.
    n_jobs : int or None, default=None
        SMILES only: processes that parse and canonicalise molecules with
        RDKit in ``fit``, ``transform`` and ``score`` (joblib's convention:
        None is 1, -1 all cores).  The output is the same for any value.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the best weights are restored.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Minimum improvement of the validation loss that resets the patience.
    warm_start : bool, default=False
        If True, ``fit`` on a fitted model continues training from its
        weights (``max_epochs`` more epochs) instead of starting anew.
    device : str or torch.device, default="auto"
        Where to train and encode.  ``"auto"`` uses CUDA when available and
        the CPU otherwise.
    mixed_precision : bool, default=False
        Run the training forward pass under bfloat16 autocast (useful on
        recent GPUs).
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra :mod:`skorch.callbacks` for the training loop, e.g.
        ``LRScheduler`` or ``Checkpoint``.  They are copied at ``fit``; the
        trained ones are in ``net_.callbacks_``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and sampling.  The same value
        gives the same embeddings on CPU; the global torch RNG is left as it
        was.
    verbose : int, default=0
        0: silent.  1: a progress bar of the batches of each epoch (streamed
        fits too).  2 and more: also skorch's table of per-epoch losses and
        times.

    Attributes
    ----------
    likelihood_ : str
        Resolved likelihood: ``"bernoulli"``, ``"gaussian"`` or (SMILES)
        ``"categorical"``.
    mean_ : ndarray of shape (n_features,)
        Feature means removed before the network.
    scale_ : ndarray of shape (n_features,)
        Feature scales divided out before the network.
    input_kind_ : str
        ``"numeric"`` or ``"smiles"``: the kind of data the model was fitted
        on.
    tokenizer_ : SmilesTokenizer
        SMILES models: the tokenizer and its vocabulary learnt in ``fit``.
    max_length_ : int
        SMILES models: the longest sequence generated by
        ``inverse_transform``/``sample``.
    net_ : skorch.NeuralNet
        The training engine, with the trained module (``net_.module_``).
    history_ : skorch.History
        Per-epoch losses (``history_[:, "train_loss"]``).
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    skcmim.MIMTransformer : flips the sign of the encoder entropy term.
    """

    _objective = "vae"


class CVAETransformer(BaseContrastiveEncoderDecoder):
    """VAE plus cMIM's contrastive term (a baseline for cMIM).

    ``L_i = L_i(VAE) - contrastive_weight * log p(k=1 | z_i, x_i)``, with
    the same mean-normalised contrastive term as
    :class:`~skcmim.CMIMTransformer`.

    Parameters
    ----------
    n_components : int, default=16
        Width of the code (the latent space).
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Hidden widths.  Numeric data: the MLP encoder's layers (the decoder
        mirrors them); ``"auto"`` is (512, 512).  SMILES: stacked GRU layers
        of one width in the encoder and the decoder; ``"auto"`` is (256,).
    likelihood : {"auto", "bernoulli", "gaussian", "categorical"}, default="auto"
        Decoder likelihood.  ``"auto"`` picks Bernoulli when all of X lies
        in [0, 1] (images scaled to [0, 1]), Gaussian for other numeric data
        and categorical (over tokens) for SMILES.  Gaussian models
        standardise the features internally (``mean_``, ``scale_``) and
        learn one noise scale per feature.
    max_epochs : int, default=50
        Passes over the training data.
    batch_size : int, default=128
        Samples per optimiser step.
    learning_rate : float, default=1e-3
        Adam learning rate.
    informative : bool, default=False
        If True, ``transform`` returns informative embeddings: the code
        ``mu(x)`` followed by the decoder's hidden activations at ``mu(x)``.
        It can be switched with ``set_params`` after fitting; no retraining.
    informative_layers : "all" or tuple of int, default="all"
        Which decoder hidden layers (0 = nearest the code) the informative
        embeddings include.
    input_kind : {"auto", "numeric", "smiles"}, default="auto"
        What X holds.  ``"auto"`` treats a list, 1-D array, pandas Series or
        one-column DataFrame of strings or RDKit ``Mol`` objects as
        molecules, anything else as a numeric matrix.
    max_length : int or None, default=None
        SMILES only: the longest token sequence (``<bos>`` and ``<eos>``
        included) to train on and to generate, at most
        ``skcmim.molecules.MAX_SMILES_LENGTH + 2`` (5,002).  None: the
        longest training SMILES.  Longer training SMILES are an error;
        ``transform`` encodes SMILES of any length (nothing is ever
        truncated).
    canonical : bool, default=True
        SMILES only: canonicalise every molecule with RDKit first, so that
        different SMILES of one molecule get one code.
    on_invalid : {"raise", "nan"}, default="raise"
        SMILES only: what an invalid SMILES, an empty string or a missing
        value does.  ``"raise"``: a ``ValueError`` naming the row and the
        string.  ``"nan"``: ``fit`` leaves the row out (with a warning) and
        ``transform``/``score_samples`` give it a NaN row, so rows stay
        aligned with y.
    alphabet : {"smiles", "selfies"}, default="smiles"
        SMILES only: the token alphabet the network reads and writes.
        ``"selfies"`` writes each (canonical) molecule as SELFIES and learns
        a vocabulary of SELFIES symbols, so that every generated sequence is
        a valid molecule; ``inverse_transform`` and ``sample`` still return
        canonical SMILES (None for a sequence without atoms), and a molecule
        SELFIES cannot write is an invalid row (see ``on_invalid``).
        ``max_length`` counts tokens of this alphabet.
    n_jobs : int or None, default=None
        SMILES only: processes that parse and canonicalise molecules with
        RDKit in ``fit``, ``transform`` and ``score`` (joblib's convention:
        None is 1, -1 all cores).  The output is the same for any value.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the best weights are restored.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Minimum improvement of the validation loss that resets the patience.
    warm_start : bool, default=False
        If True, ``fit`` on a fitted model continues training from its
        weights (``max_epochs`` more epochs) instead of starting anew.
    device : str or torch.device, default="auto"
        Where to train and encode.  ``"auto"`` uses CUDA when available and
        the CPU otherwise.
    mixed_precision : bool, default=False
        Run the training forward pass under bfloat16 autocast (useful on
        recent GPUs).
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra :mod:`skorch.callbacks` for the training loop, e.g.
        ``LRScheduler`` or ``Checkpoint``.  They are copied at ``fit``; the
        trained ones are in ``net_.callbacks_``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and sampling.  The same value
        gives the same embeddings on CPU; the global torch RNG is left as it
        was.
    verbose : int, default=0
        0: silent.  1: a progress bar of the batches of each epoch (streamed
        fits too).  2 and more: also skorch's table of per-epoch losses and
        times.
    contrastive_weight : float, default=10.0
        Weight ``w_c`` of the contrastive term.  The default was chosen on a
        validation split of MNIST digits (``benchmarks/tune.py``).
    contrastive_temperature : float, default=0.1
        Temperature ``tau`` of the contrastive term's cosine-similarity
        softmax.
    temperature : float or "deprecated", default="deprecated"
        Deprecated name of ``contrastive_temperature`` (renamed in 0.2,
        removed in 0.3); when set, it is used, with a ``FutureWarning``.

    Attributes
    ----------
    likelihood_ : str
        Resolved likelihood: ``"bernoulli"``, ``"gaussian"`` or (SMILES)
        ``"categorical"``.
    mean_ : ndarray of shape (n_features,)
        Feature means removed before the network.
    scale_ : ndarray of shape (n_features,)
        Feature scales divided out before the network.
    input_kind_ : str
        ``"numeric"`` or ``"smiles"``: the kind of data the model was fitted
        on.
    tokenizer_ : SmilesTokenizer
        SMILES models: the tokenizer and its vocabulary learnt in ``fit``.
    max_length_ : int
        SMILES models: the longest sequence generated by
        ``inverse_transform``/``sample``.
    net_ : skorch.NeuralNet
        The training engine, with the trained module (``net_.module_``).
    history_ : skorch.History
        Per-epoch losses (``history_[:, "train_loss"]``).
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    skcmim.CMIMTransformer : the same contrastive term on the MIM loss.
    """

    _objective = "vae"


class InfoNCETransformer(BaseRepresentation):
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

    Parameters
    ----------
    n_components : int, default=16
        Width of the code (the latent space).
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Hidden widths of the encoder: the MLP for numeric data (``"auto"``
        is (512, 512)), stacked GRU layers of one width for SMILES
        (``"auto"`` is (256,)).
    max_epochs : int, default=50
        Passes over the training data.
    batch_size : int, default=128
        Samples per optimiser step.
    learning_rate : float, default=1e-3
        Adam learning rate.
    input_kind : {"auto", "numeric", "smiles"}, default="auto"
        What X holds.  ``"auto"`` treats a list, 1-D array, pandas Series or
        one-column DataFrame of strings or RDKit ``Mol`` objects as
        molecules, anything else as a numeric matrix.
    max_length : int or None, default=None
        SMILES only: the longest token sequence (``<bos>`` and ``<eos>``
        included) to train on and to generate, at most
        ``skcmim.molecules.MAX_SMILES_LENGTH + 2`` (5,002).  None: the
        longest training SMILES.  Longer training SMILES are an error;
        ``transform`` encodes SMILES of any length (nothing is ever
        truncated).
    canonical : bool, default=True
        SMILES only: canonicalise every molecule with RDKit first, so that
        different SMILES of one molecule get one code.
    on_invalid : {"raise", "nan"}, default="raise"
        SMILES only: what an invalid SMILES, an empty string or a missing
        value does.  ``"raise"``: a ``ValueError`` naming the row and the
        string.  ``"nan"``: ``fit`` leaves the row out (with a warning) and
        ``transform``/``score_samples`` give it a NaN row, so rows stay
        aligned with y.
    n_jobs : int or None, default=None
        SMILES only: processes that parse and canonicalise molecules with
        RDKit in ``fit``, ``transform`` and ``score`` (joblib's convention:
        None is 1, -1 all cores).  The output is the same for any value.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the best weights are restored.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Minimum improvement of the validation loss that resets the patience.
    warm_start : bool, default=False
        If True, ``fit`` on a fitted model continues training from its
        weights (``max_epochs`` more epochs) instead of starting anew.
    device : str or torch.device, default="auto"
        Where to train and encode.  ``"auto"`` uses CUDA when available and
        the CPU otherwise.
    mixed_precision : bool, default=False
        Run the training forward pass under bfloat16 autocast (useful on
        recent GPUs).
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra :mod:`skorch.callbacks` for the training loop, e.g.
        ``LRScheduler`` or ``Checkpoint``.  They are copied at ``fit``; the
        trained ones are in ``net_.callbacks_``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and sampling.  The same value
        gives the same embeddings on CPU; the global torch RNG is left as it
        was.
    verbose : int, default=0
        0: silent.  1: a progress bar of the batches of each epoch (streamed
        fits too).  2 and more: also skorch's table of per-epoch losses and
        times.
    contrastive_temperature : float, default=0.1
        Temperature of the NT-Xent softmax.
    temperature : float or "deprecated", default="deprecated"
        Deprecated name of ``contrastive_temperature`` (renamed in 0.2,
        removed in 0.3); when set, it is used, with a ``FutureWarning``.
    noise_std : float, default=0.5
        Standard deviation of the view noise (standardised units).
    feature_dropout : float, default=0.2
        Probability of zeroing a feature in a view.
    n_views : int, default=4
        SMILES only: random SMILES drawn per molecule when fitting (by
        RDKit, from ``random_state``); every batch contrasts two different
        ones of them.

    Attributes
    ----------
    input_kind_ : str
        ``"numeric"`` or ``"smiles"``: the kind of data the model was fitted
        on.
    mean_ : ndarray of shape (n_features,)
        Feature means removed before the network.
    scale_ : ndarray of shape (n_features,)
        Feature scales divided out before the network.
    tokenizer_ : SmilesTokenizer
        SMILES models: the tokenizer and its vocabulary learnt in ``fit``.
    max_length_ : int
        SMILES models: the longest sequence generated by
        ``inverse_transform``/``sample``.
    net_ : skorch.NeuralNet
        The training engine, with the trained module (``net_.module_``).
    history_ : skorch.History
        Per-epoch losses (``history_[:, "train_loss"]``).
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    skcmim.CMIMTransformer : contrastive without augmentations, with a decoder.
    """

    _parameter_constraints = {
        **BaseRepresentation._parameter_constraints,
        "contrastive_temperature": [Interval(Real, 0, None, closed="neither")],
        "temperature": [Interval(Real, 0, None, closed="neither"), StrOptions({"deprecated"})],
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "feature_dropout": [Interval(Real, 0, 1, closed="left")],
        "n_views": [Interval(Integral, 2, None, closed="left")],
    }
    _network_role = "view_encoder"

    def __init__(
        self,
        n_components: int = 16,
        *,
        hidden_layer_sizes: Literal["auto"] | Sequence[int] = "auto",
        max_epochs: int = 50,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        input_kind: Literal["auto", "numeric", "smiles"] = "auto",
        max_length: int | None = None,
        canonical: bool = True,
        on_invalid: Literal["raise", "nan"] = "raise",
        n_jobs: int | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        warm_start: bool = False,
        device: str | torch.device = "auto",
        mixed_precision: bool = False,
        callbacks: Sequence[Any] | None = None,
        random_state: RandomStateLike = None,
        verbose: int = 0,
        contrastive_temperature: float = 0.1,
        temperature: float | Literal["deprecated"] = "deprecated",
        noise_std: float = 0.5,
        feature_dropout: float = 0.2,
        n_views: int = 4,
    ) -> None:
        _store_params(self, locals())

    def _module_options(self):
        # the numeric views' augmentations; SMILES views are random SMILES (n_views)
        return {"noise_std": self.noise_std, "feature_dropout": self.feature_dropout}

    def _criterion_spec(self):
        return NTXentLoss, {"temperature": _contrastive_temperature(self)}
