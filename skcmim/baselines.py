"""Baselines on the same networks and training engine as MIM and cMIM.

So that comparisons are fair, each baseline reuses the MIM encoder (and
decoder) and the skorch engine; only the loss differs:

* :class:`VAETransformer`: the variational auto-encoder (negative ELBO);
* :class:`CVAETransformer`: the VAE plus cMIM's contrastive term;
* :class:`InfoNCETransformer`: the encoder alone, trained with NT-Xent
  between two augmented views (numeric data: Gaussian noise and feature
  dropout, SCARF feature corruption or, for images, random shifts;
  molecules: two random SMILES of each molecule), with an optional
  projection head;
* :class:`InfoNCEAETransformer`: the same with the MIM decoder, which
  reconstructs the clean input, so informative embeddings apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, Literal

import torch
from numpy.typing import NDArray
from sklearn.utils._param_validation import Interval, StrOptions

from .estimators import (
    BaseContrastiveEncoderDecoder,
    BaseEncoderDecoder,
    BaseRepresentation,
    RandomStateLike,
    _contrastive_temperature,
    _store_params,
)
from .engine import KLWarmup
from .losses import NTXentLoss, NTXentReconstructionLoss
from .networks import AUGMENTATIONS, augmentation_names

__all__ = ["CVAETransformer", "InfoNCEAETransformer", "InfoNCETransformer", "VAETransformer"]

_VAE_CONSTRAINTS = {
    "kl_warmup_epochs": [Interval(Integral, 0, None, closed="left")],
    "free_bits": [Interval(Real, 0, None, closed="left")],
}


class _VAEOptions:
    """The VAE's remedies for posterior collapse: KL warm-up and free bits (VAE, cVAE)."""

    def _criterion_spec(self):
        loss, params = super()._criterion_spec()
        return loss, {**params, "free_bits": float(self.free_bits)}

    def _objective_callbacks(self):
        if not self.kl_warmup_epochs:
            return []
        return [("kl_warmup", KLWarmup(self.kl_warmup_epochs))]


class VAETransformer(_VAEOptions, BaseEncoderDecoder):
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
    isomeric : bool, default=True
        SMILES only: keep stereochemistry and isotopes (RDKit's
        ``isomericSmiles``).  False writes every molecule without them, in
        ``fit`` and in ``transform``: a model trained on molecules without
        stereochemistry (such as MOSES ZINC, and the pretrained models,
        which set it False) has no tokens for it, and would read a
        stereocentre such as ``[C@@H]`` as an unknown token instead of a
        carbon.
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
        RDKit (and write their SELFIES) in ``fit``, ``transform`` and
        ``score`` (joblib's convention: None is 1, -1 all cores).  The
        output is the same for any value.  Inputs under 2,048 molecules stay
        in this process; larger ones gain, as a worker starts in about half
        a second.
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
    latent_scale : {"none", "per_dimension"}, default="none"
        ``"per_dimension"`` divides the gradient of the latent terms (``log
        q(z|x)`` and ``log P(z)``: the A-MIM term ``(log q + log P) / 2``,
        the VAE's KL) by ``n_components`` and leaves the loss value
        unchanged, as NVIDIA's published cMIM code does
        (``normalize_gradient=True`` in ``compute_cmim_loss`` of KERMT,
        github.com/NVIDIA-Digital-Bio/KERMT).  It weakens the pull of the
        latent terms against a reconstruction summed over many features.
    reconstruction : {"sum", "mean"}, default="sum"
        ``"mean"`` averages ``log p(x|z)`` over the features (numeric data)
        or over the non-pad tokens (SMILES) instead of summing it, so the
        reconstruction no longer outweighs the latent and contrastive terms
        by the number of features.  ``score`` always reports the summed
        objective.
    kl_warmup_epochs : int, default=0
        Epochs over which the weight of the KL term rises linearly from 0 to
        1 (epoch ``k`` uses ``min(1, (k - 1) / kl_warmup_epochs)``, recorded
        as ``kl_weight`` in ``history_``; a continued fit continues the
        ramp).  0: no warm-up.  Validation losses use the full weight.
    free_bits : float, default=0.0
        Free bits (Kingma et al., 2016): each code dimension's KL, averaged
        over the batch, counts as at least this many nats, so the KL term is
        ``sum_d max(free_bits, mean_i KL_id)`` and the encoder gains nothing
        by collapsing a dimension below it.  0: the plain KL.

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
        Per-epoch losses (``history_[:, "train_loss"]``) and the mean per
        sample of each term of the objective, unweighted:
        ``train_reconstruction`` (``-log p(x|z)``, as trained),
        ``train_latent`` (MIM: ``-(log q(z|x) + log P(z)) / 2``) or
        ``train_kl`` (VAE: ``log q(z|x) - log P(z)``), ``train_contrastive``
        (``-log p(k=1|z,x)``, contrastive models), and the same ``valid_*``
        with early stopping.  :func:`skcmim.plotting.plot_history` plots
        them.
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

    _parameter_constraints = {
        **BaseEncoderDecoder._parameter_constraints,
        **_VAE_CONSTRAINTS,
    }

    def __init__(
        self,
        n_components: int = 16,
        *,
        hidden_layer_sizes: Literal["auto"] | Sequence[int] = "auto",
        likelihood: Literal["auto", "bernoulli", "gaussian", "categorical"] = "auto",
        max_epochs: int = 50,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        informative: bool = False,
        informative_layers: Literal["all"] | Sequence[int] = "all",
        input_kind: Literal["auto", "numeric", "smiles"] = "auto",
        max_length: int | None = None,
        canonical: bool = True,
        isomeric: bool = True,
        on_invalid: Literal["raise", "nan"] = "raise",
        alphabet: Literal["smiles", "selfies"] = "smiles",
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
        latent_scale: Literal["none", "per_dimension"] = "none",
        reconstruction: Literal["sum", "mean"] = "sum",
        kl_warmup_epochs: int = 0,
        free_bits: float = 0.0,
    ) -> None:
        _store_params(self, locals())


class CVAETransformer(_VAEOptions, BaseContrastiveEncoderDecoder):
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
    isomeric : bool, default=True
        SMILES only: keep stereochemistry and isotopes (RDKit's
        ``isomericSmiles``).  False writes every molecule without them, in
        ``fit`` and in ``transform``: a model trained on molecules without
        stereochemistry (such as MOSES ZINC, and the pretrained models,
        which set it False) has no tokens for it, and would read a
        stereocentre such as ``[C@@H]`` as an unknown token instead of a
        carbon.
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
        RDKit (and write their SELFIES) in ``fit``, ``transform`` and
        ``score`` (joblib's convention: None is 1, -1 all cores).  The
        output is the same for any value.  Inputs under 2,048 molecules stay
        in this process; larger ones gain, as a worker starts in about half
        a second.
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
    latent_scale : {"none", "per_dimension"}, default="none"
        ``"per_dimension"`` divides the gradient of the latent terms (``log
        q(z|x)`` and ``log P(z)``: the A-MIM term ``(log q + log P) / 2``,
        the VAE's KL) by ``n_components`` and leaves the loss value
        unchanged, as NVIDIA's published cMIM code does
        (``normalize_gradient=True`` in ``compute_cmim_loss`` of KERMT,
        github.com/NVIDIA-Digital-Bio/KERMT).  It weakens the pull of the
        latent terms against a reconstruction summed over many features.
    reconstruction : {"sum", "mean"}, default="sum"
        ``"mean"`` averages ``log p(x|z)`` over the features (numeric data)
        or over the non-pad tokens (SMILES) instead of summing it, so the
        reconstruction no longer outweighs the latent and contrastive terms
        by the number of features.  ``score`` always reports the summed
        objective.
    contrastive_weight : float, default=10.0
        Weight ``w_c`` of the contrastive term.  The default was chosen on a
        validation split of the MNIST-5k training half
        (``benchmarks/tuning.py``).
    contrastive_temperature : float, default=0.1
        Temperature ``tau`` of the contrastive term's cosine-similarity
        softmax.
    contrastive_on : {"z", "mu"}, default="z"
        The codes whose cosine similarities make the contrastive term: the
        sampled code ``z`` or the posterior mean ``mu``.
    temperature : float or "deprecated", default="deprecated"
        Deprecated name of ``contrastive_temperature`` (renamed in 0.2,
        removed in 0.3); when set, it is used, with a ``FutureWarning``.
    kl_warmup_epochs : int, default=0
        Epochs over which the weight of the KL term rises linearly from 0 to
        1 (epoch ``k`` uses ``min(1, (k - 1) / kl_warmup_epochs)``, recorded
        as ``kl_weight`` in ``history_``; a continued fit continues the
        ramp).  0: no warm-up.  Validation losses use the full weight.
    free_bits : float, default=0.0
        Free bits (Kingma et al., 2016): each code dimension's KL, averaged
        over the batch, counts as at least this many nats, so the KL term is
        ``sum_d max(free_bits, mean_i KL_id)`` and the encoder gains nothing
        by collapsing a dimension below it.  0: the plain KL.

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
        Per-epoch losses (``history_[:, "train_loss"]``) and the mean per
        sample of each term of the objective, unweighted:
        ``train_reconstruction`` (``-log p(x|z)``, as trained),
        ``train_latent`` (MIM: ``-(log q(z|x) + log P(z)) / 2``) or
        ``train_kl`` (VAE: ``log q(z|x) - log P(z)``), ``train_contrastive``
        (``-log p(k=1|z,x)``, contrastive models), and the same ``valid_*``
        with early stopping.  :func:`skcmim.plotting.plot_history` plots
        them.
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

    _parameter_constraints = {
        **BaseContrastiveEncoderDecoder._parameter_constraints,
        **_VAE_CONSTRAINTS,
    }

    def __init__(
        self,
        n_components: int = 16,
        *,
        hidden_layer_sizes: Literal["auto"] | Sequence[int] = "auto",
        likelihood: Literal["auto", "bernoulli", "gaussian", "categorical"] = "auto",
        max_epochs: int = 50,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        informative: bool = False,
        informative_layers: Literal["all"] | Sequence[int] = "all",
        input_kind: Literal["auto", "numeric", "smiles"] = "auto",
        max_length: int | None = None,
        canonical: bool = True,
        isomeric: bool = True,
        on_invalid: Literal["raise", "nan"] = "raise",
        alphabet: Literal["smiles", "selfies"] = "smiles",
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
        latent_scale: Literal["none", "per_dimension"] = "none",
        reconstruction: Literal["sum", "mean"] = "sum",
        contrastive_weight: float = 10.0,
        contrastive_temperature: float = 0.1,
        contrastive_on: Literal["z", "mu"] = "z",
        temperature: float | Literal["deprecated"] = "deprecated",
        kl_warmup_epochs: int = 0,
        free_bits: float = 0.0,
    ) -> None:
        _store_params(self, locals())


def _positive_ints(name, value, what, length=None):
    """A sequence parameter as a tuple of positive ints (None stays None), or a ValueError naming it."""
    if value is None:
        return None
    values = tuple(value)
    if (length is not None and len(values) != length) or not all(
        isinstance(n, Integral) and not isinstance(n, bool) and n > 0 for n in values
    ):
        raise ValueError(f"{name} must be {what}, got {value!r}.")
    return tuple(int(n) for n in values)


class _ViewOptions:
    """Mixin of the InfoNCE estimators: the parameters of the views and of the projection head."""

    _view_constraints = {
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "feature_dropout": [Interval(Real, 0, 1, closed="left")],
        "augmentation": [StrOptions(set(AUGMENTATIONS)), tuple, list],
        "corruption_rate": [Interval(Real, 0, 1, closed="both")],
        "image_shape": ["array-like", None],
        "max_shift": [Interval(Integral, 1, None, closed="left")],
        "projection_head": ["array-like", None],
    }

    def _module_options(self):
        # SMILES views are random SMILES (n_views); the SMILES input refuses the numeric augmentations
        return {
            "noise_std": self.noise_std,
            "feature_dropout": self.feature_dropout,
            "augmentation": augmentation_names(self.augmentation),
            "corruption_rate": self.corruption_rate,
            "image_shape": _positive_ints("image_shape", self.image_shape, "(height, width), two positive integers", 2),
            "max_shift": self.max_shift,
            "projection_head": _positive_ints("projection_head", self.projection_head, "a tuple of positive integers"),
        }


class InfoNCETransformer(_ViewOptions, BaseRepresentation):
    """InfoNCE (NT-Xent, SimCLR-style) baseline on the MIM encoder.

    Two augmented views of each sample are encoded, and each code must
    identify its partner among all ``2B - 1`` other codes of the batch.
    Numeric data (standardised features): the ``augmentation`` chooses the
    views: Gaussian noise of ``noise_std`` then ``feature_dropout``
    (``"noise"``), SCARF's random feature corruption (``"scarf"``, for
    tabular data) or random translations of images (``"shift"``, with
    ``image_shape``).  Molecules (SMILES strings or RDKit Mols, as for
    :class:`~skcmim.CMIMTransformer`): two different random SMILES of the
    molecule, out of ``n_views`` drawn with RDKit, encoded by a
    bidirectional GRU.  With a ``projection_head``, NT-Xent compares the
    projections of the codes (SimCLR).  The negatives are summed, so the
    loss, and its optimum, depend on the batch size.  There is no decoder
    (see :class:`InfoNCEAETransformer`): no ``inverse_transform``,
    ``sample``, ``score`` or informative embeddings.  ``transform`` encodes
    the (canonical) input itself, before any projection head.

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
    isomeric : bool, default=True
        SMILES only: keep stereochemistry and isotopes (RDKit's
        ``isomericSmiles``).  False writes every molecule without them, in
        ``fit`` and in ``transform``: a model trained on molecules without
        stereochemistry (such as MOSES ZINC, and the pretrained models,
        which set it False) has no tokens for it, and would read a
        stereocentre such as ``[C@@H]`` as an unknown token instead of a
        carbon.
    on_invalid : {"raise", "nan"}, default="raise"
        SMILES only: what an invalid SMILES, an empty string or a missing
        value does.  ``"raise"``: a ``ValueError`` naming the row and the
        string.  ``"nan"``: ``fit`` leaves the row out (with a warning) and
        ``transform``/``score_samples`` give it a NaN row, so rows stay
        aligned with y.
    n_jobs : int or None, default=None
        SMILES only: processes that parse and canonicalise molecules with
        RDKit (and write their SELFIES) in ``fit``, ``transform`` and
        ``score`` (joblib's convention: None is 1, -1 all cores).  The
        output is the same for any value.  Inputs under 2,048 molecules stay
        in this process; larger ones gain, as a worker starts in about half
        a second.
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
        Standard deviation of the ``"noise"`` views' Gaussian noise, in
        units of the network input (standardised features, or values in [0,
        1] for a Bernoulli decoder).
    feature_dropout : float, default=0.2
        Probability of zeroing a feature in a ``"noise"`` view.
    n_views : int, default=4
        SMILES only: random SMILES drawn per molecule when fitting (by
        RDKit, from ``random_state``); every batch contrasts two different
        ones of them.
    augmentation : {"noise", "scarf", "shift"} or tuple of them, default="noise"
        How the two views of a sample are drawn; a tuple applies several in
        its order.  ``"noise"``: Gaussian noise of ``noise_std``, then
        ``feature_dropout``.  ``"scarf"`` (SCARF, Bahri et al. 2022): in
        each row a share ``corruption_rate`` of the features, drawn at
        random, takes the value of the same feature in another random row of
        the batch.  ``"shift"``: images (``image_shape``) translated by up
        to ``max_shift`` pixels along each axis, with zero padding.  Numeric
        data only (molecules' views are random SMILES).
    corruption_rate : float, default=0.6
        Share of the features of each row replaced in a ``"scarf"`` view.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` of each row as a row-major image; required with
        ``"shift"``, and ``height * width`` must be the number of features.
    max_shift : int, default=2
        Largest translation of a ``"shift"`` view, in pixels, along each
        axis.
    projection_head : tuple of int or None, default=None
        Hidden widths of a projection head (SimCLR): an MLP with ReLUs from
        the code to a projection of width ``n_components``, on which NT-Xent
        is computed.  ``transform`` returns the code before the head.  None:
        NT-Xent on the code itself.

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
        **_ViewOptions._view_constraints,
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
        isomeric: bool = True,
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
        augmentation: Literal["noise", "scarf", "shift"] | tuple[str, ...] = "noise",
        corruption_rate: float = 0.6,
        image_shape: tuple[int, int] | None = None,
        max_shift: int = 2,
        projection_head: Sequence[int] | None = None,
    ) -> None:
        _store_params(self, locals())

    def _criterion_spec(self):
        return NTXentLoss, {"temperature": _contrastive_temperature(self)}


class InfoNCEAETransformer(_ViewOptions, BaseEncoderDecoder):
    """InfoNCE with a decoder: NT-Xent on two views plus reconstruction.

    The MIM encoder and dense decoder, trained with NT-Xent between the
    (projected) codes of two augmented views, as
    :class:`InfoNCETransformer`, plus ``reconstruction_weight`` times
    ``-log p(x | mu(x))`` of the clean input.  The decoder reads the
    deterministic code ``mu(x)`` (an auto-encoder: no prior, no sampled
    code), so informative embeddings apply as for
    :class:`~skcmim.MIMTransformer`: with ``informative=True``,
    ``transform`` returns the code followed by the decoder's hidden
    activations at the code.  ``score_samples`` is ``log p(x | mu(x))``.
    Numeric data only.  The views are of the network input: standardised
    features for a Gaussian decoder, the raw values in [0, 1] for a
    Bernoulli one.

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
    isomeric : bool, default=True
        SMILES only: keep stereochemistry and isotopes (RDKit's
        ``isomericSmiles``).  False writes every molecule without them, in
        ``fit`` and in ``transform``: a model trained on molecules without
        stereochemistry (such as MOSES ZINC, and the pretrained models,
        which set it False) has no tokens for it, and would read a
        stereocentre such as ``[C@@H]`` as an unknown token instead of a
        carbon.
    on_invalid : {"raise", "nan"}, default="raise"
        SMILES only: what an invalid SMILES, an empty string or a missing
        value does.  ``"raise"``: a ``ValueError`` naming the row and the
        string.  ``"nan"``: ``fit`` leaves the row out (with a warning) and
        ``transform``/``score_samples`` give it a NaN row, so rows stay
        aligned with y.
    n_jobs : int or None, default=None
        SMILES only: processes that parse and canonicalise molecules with
        RDKit (and write their SELFIES) in ``fit``, ``transform`` and
        ``score`` (joblib's convention: None is 1, -1 all cores).  The
        output is the same for any value.  Inputs under 2,048 molecules stay
        in this process; larger ones gain, as a worker starts in about half
        a second.
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
    reconstruction_weight : float, default=1.0
        Weight of the reconstruction term ``-log p(x | mu(x))`` (summed over
        features) against the NT-Xent term.
    noise_std : float, default=0.5
        Standard deviation of the ``"noise"`` views' Gaussian noise, in
        units of the network input (standardised features, or values in [0,
        1] for a Bernoulli decoder).
    feature_dropout : float, default=0.2
        Probability of zeroing a feature in a ``"noise"`` view.
    augmentation : {"noise", "scarf", "shift"} or tuple of them, default="noise"
        How the two views of a sample are drawn; a tuple applies several in
        its order.  ``"noise"``: Gaussian noise of ``noise_std``, then
        ``feature_dropout``.  ``"scarf"`` (SCARF, Bahri et al. 2022): in
        each row a share ``corruption_rate`` of the features, drawn at
        random, takes the value of the same feature in another random row of
        the batch.  ``"shift"``: images (``image_shape``) translated by up
        to ``max_shift`` pixels along each axis, with zero padding.  Numeric
        data only (molecules' views are random SMILES).
    corruption_rate : float, default=0.6
        Share of the features of each row replaced in a ``"scarf"`` view.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` of each row as a row-major image; required with
        ``"shift"``, and ``height * width`` must be the number of features.
    max_shift : int, default=2
        Largest translation of a ``"shift"`` view, in pixels, along each
        axis.
    projection_head : tuple of int or None, default=None
        Hidden widths of a projection head (SimCLR): an MLP with ReLUs from
        the code to a projection of width ``n_components``, on which NT-Xent
        is computed.  ``transform`` returns the code before the head.  None:
        NT-Xent on the code itself.

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
    net_ : skorch.NeuralNet
        The training engine, with the trained module (``net_.module_``).
    history_ : skorch.History
        Per-epoch losses (``history_[:, "train_loss"]``) and the mean per
        sample of each term of the objective, unweighted:
        ``train_reconstruction`` (``-log p(x|z)``, as trained),
        ``train_latent`` (MIM: ``-(log q(z|x) + log P(z)) / 2``) or
        ``train_kl`` (VAE: ``log q(z|x) - log P(z)``), ``train_contrastive``
        (``-log p(k=1|z,x)``, contrastive models), and the same ``valid_*``
        with early stopping.  :func:`skcmim.plotting.plot_history` plots
        them.
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    InfoNCETransformer : the same views and loss, without a decoder.
    skcmim.CMIMTransformer : contrastive without augmentations, with a decoder and a prior.
    """

    # the MIM objective's options (latent_scale, reconstruction) do not apply: there are no latent terms;
    # nor does alphabet: molecules are refused
    _parameter_constraints = {
        **{name: constraint for name, constraint in BaseEncoderDecoder._parameter_constraints.items()
           if name not in ("latent_scale", "reconstruction", "alphabet")},
        "contrastive_temperature": [Interval(Real, 0, None, closed="neither")],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        **_ViewOptions._view_constraints,
    }
    _network_role = "view_encoder_decoder"

    def __init__(
        self,
        n_components: int = 16,
        *,
        hidden_layer_sizes: Literal["auto"] | Sequence[int] = "auto",
        likelihood: Literal["auto", "bernoulli", "gaussian", "categorical"] = "auto",
        max_epochs: int = 50,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        informative: bool = False,
        informative_layers: Literal["all"] | Sequence[int] = "all",
        input_kind: Literal["auto", "numeric", "smiles"] = "auto",
        max_length: int | None = None,
        canonical: bool = True,
        isomeric: bool = True,
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
        reconstruction_weight: float = 1.0,
        noise_std: float = 0.5,
        feature_dropout: float = 0.2,
        augmentation: Literal["noise", "scarf", "shift"] | tuple[str, ...] = "noise",
        corruption_rate: float = 0.6,
        image_shape: tuple[int, int] | None = None,
        max_shift: int = 2,
        projection_head: Sequence[int] | None = None,
    ) -> None:
        _store_params(self, locals())

    def _criterion_spec(self):
        return NTXentReconstructionLoss, {"temperature": self.contrastive_temperature,
                                          "reconstruction_weight": self.reconstruction_weight}

    def sample(self, n_samples: int = 1, random_state: RandomStateLike = None, *,
               sampling_temperature: float = 0.0) -> NDArray[Any]:
        """Not available: the model has no prior over codes to draw from.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
        sampling_temperature : float, default=0.0

        Raises
        ------
        NotImplementedError
            Always; decode chosen codes with ``inverse_transform`` instead.
        """
        raise NotImplementedError(
            "InfoNCEAETransformer is an auto-encoder without a prior, so codes drawn from N(0, I) mean nothing to "
            "its decoder; decode codes of real data (transform, then inverse_transform) or use MIMTransformer."
        )
