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

from ._parameters import Interval, StrOptions, param, parameters
from .estimators import (
    BaseContrastiveEncoderDecoder,
    BaseEncoderDecoder,
    BaseLatentEncoderDecoder,
    BaseRepresentation,
    _contrastive_temperature,
    _contrastive_temperature_param,
    _temperature_param,
)
from .losses import NTXentLoss, NTXentReconstructionLoss
from .networks import AUGMENTATIONS, augmentation_names
from .training import KLWarmup

__all__ = ["CVAETransformer", "InfoNCEAETransformer", "InfoNCETransformer", "VAETransformer"]


@parameters
class BaseVAE(BaseLatentEncoderDecoder):
    """The VAE's remedies for posterior collapse: KL warm-up and free bits (VAE, cVAE)."""

    kl_warmup_epochs: int = param(
        0,
        [Interval(Integral, 0, None, closed="left")],
        "int",
        "Epochs over which the weight of the KL term rises linearly from 0 to 1 (epoch ``k`` uses "
        "``min(1, (k - 1) / kl_warmup_epochs)``, recorded as ``kl_weight`` in ``history_``; a continued fit "
        "continues the ramp).  0: no warm-up.  Validation losses use the full weight.",
    )
    free_bits: float = param(
        2.0,
        [Interval(Real, 0, None, closed="left")],
        "float",
        "Free bits (Kingma et al., 2016): each code dimension's KL, averaged over the batch, counts as at least "
        "this many nats, so the KL term is ``sum_d max(free_bits, mean_i KL_id)`` and the encoder gains nothing "
        "by collapsing a dimension below it.  0: the plain KL.  The default is the setting chosen on a validation "
        "split (``benchmarks/claims/tuning.py``).",
    )

    _objective = "vae"

    def _criterion_spec(self):
        loss, params = super()._criterion_spec()
        return loss, {**params, "free_bits": float(self.free_bits)}

    def _objective_callbacks(self):
        if not self.kl_warmup_epochs:
            return []
        return [("kl_warmup", KLWarmup(self.kl_warmup_epochs))]


@parameters
class VAETransformer(BaseVAE):
    """Variational auto-encoder baseline, on the MIM networks.

    Trained with the negative ELBO ``-[log p(x|z) + log P(z) - log q(z|x)]``
    (one reparameterised sample).  Same parameters, methods and informative
    embeddings as :class:`~skcmim.MIMTransformer`.

    See Also
    --------
    skcmim.MIMTransformer : flips the sign of the encoder entropy term.
    """


@parameters
class CVAETransformer(BaseVAE, BaseContrastiveEncoderDecoder):
    """VAE plus cMIM's contrastive term (a baseline for cMIM).

    ``L_i = L_i(VAE) - contrastive_weight * log p(k=1 | z_i, x_i)``, with
    the same mean-normalised contrastive term as
    :class:`~skcmim.CMIMTransformer`.

    See Also
    --------
    skcmim.CMIMTransformer : the same contrastive term on the MIM loss.
    """

    _objective = "vae"


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


@parameters
class BaseInfoNCE(BaseRepresentation):
    """The InfoNCE estimators' views and projection head (with and without a decoder)."""

    contrastive_temperature: float = _contrastive_temperature_param()
    noise_std: float = param(
        0.5,
        [Interval(Real, 0, None, closed="left")],
        "float",
        'Standard deviation of the ``"noise"`` views\' Gaussian noise, in units of the network input '
        "(standardised features, or values in [0, 1] for a Bernoulli decoder).",
    )
    feature_dropout: float = param(
        0.2, [Interval(Real, 0, 1, closed="left")], "float", 'Probability of zeroing a feature in a ``"noise"`` view.'
    )
    augmentation: str | tuple[str, ...] = param(
        "auto",
        [StrOptions({*AUGMENTATIONS, "auto"}), tuple, list],
        '{"auto", "noise", "scarf", "shift"} or tuple of them',
        'How the two views of a sample are drawn; a tuple applies several in its order.  ``"auto"``: ``"scarf"`` '
        "for numeric data (chosen on a validation split, ``benchmarks/claims/tuning.py``), random SMILES for "
        'molecules.  ``"noise"``: Gaussian '
        'noise of ``noise_std``, then ``feature_dropout``.  ``"scarf"`` (SCARF, Bahri et al. 2022): in each row '
        "a share ``corruption_rate`` of the features, drawn at random, takes the value of the same feature in "
        'another random row of the batch.  ``"shift"``: images (``image_shape``) translated by up to '
        "``max_shift`` pixels along each axis, with zero padding.  Numeric data only (molecules' views are "
        'random SMILES, whatever ``"auto"`` or ``"noise"`` says).',
    )
    corruption_rate: float = param(
        0.6,
        [Interval(Real, 0, 1, closed="both")],
        "float",
        'Share of the features of each row replaced in a ``"scarf"`` view.',
    )
    image_shape: tuple[int, int] | None = param(
        None,
        ["array-like", None],
        "tuple of int or None",
        '``(height, width)`` of each row as a row-major image; required with ``"shift"``, and '
        "``height * width`` must be the number of features.",
    )
    max_shift: int = param(
        2,
        [Interval(Integral, 1, None, closed="left")],
        "int",
        'Largest translation of a ``"shift"`` view, in pixels, along each axis.',
    )
    projection_head: Sequence[int] | None = param(
        None,
        ["array-like", None],
        "tuple of int or None",
        "Hidden widths of a projection head (SimCLR): an MLP with ReLUs from the code to a projection of width "
        "``n_components``, on which NT-Xent is computed.  ``transform`` returns the code before the head.  "
        "None: NT-Xent on the code itself.",
    )

    def _module_options(self):
        # molecules' views are random SMILES (n_views); the SMILES input refuses the numeric augmentations
        return {
            "noise_std": self.noise_std,
            "feature_dropout": self.feature_dropout,
            "augmentation": "auto" if self.augmentation == "auto" else augmentation_names(self.augmentation),
            "corruption_rate": self.corruption_rate,
            "image_shape": _positive_ints("image_shape", self.image_shape, "(height, width), two positive integers", 2),
            "max_shift": self.max_shift,
            "projection_head": _positive_ints("projection_head", self.projection_head, "a tuple of positive integers"),
        }


@parameters
class InfoNCETransformer(BaseInfoNCE):
    """InfoNCE (NT-Xent, SimCLR-style) baseline on the MIM encoder.

    Two augmented views of each sample are encoded, and each code must
    identify its partner among all ``2B - 1`` other codes of the batch.
    Numeric data (standardised features): the ``augmentation`` chooses the
    views: SCARF's random feature corruption (``"scarf"``, the default for
    numeric data), Gaussian noise of ``noise_std`` then ``feature_dropout``
    (``"noise"``) or random translations of images (``"shift"``, with
    ``image_shape``).  Molecules: two different random SMILES of the
    molecule, out of ``n_views`` drawn with RDKit, encoded by a
    bidirectional GRU.  With a ``projection_head``, NT-Xent compares the
    projections of the codes (SimCLR).  The negatives are summed, so the
    loss, and its optimum, depend on the batch size.  There is no decoder
    (see :class:`InfoNCEAETransformer`): no ``inverse_transform``,
    ``sample``, ``score`` or informative embeddings.  ``transform`` encodes
    the (canonical) input itself, before any projection head.

    See Also
    --------
    skcmim.CMIMTransformer : contrastive without augmentations, with a decoder.
    """

    temperature: float | str = _temperature_param()
    n_views: int = param(
        4,
        [Interval(Integral, 2, None, closed="left")],
        "int",
        "Molecules only: random SMILES drawn per molecule when fitting (by RDKit, from ``random_state``); every "
        "batch contrasts two different ones of them.",
    )

    _network_role = "view_encoder"
    _has_decoder = False

    def _n_views(self):
        return self.n_views

    def _criterion_spec(self):
        return NTXentLoss, {"temperature": _contrastive_temperature(self)}


@parameters
class InfoNCEAETransformer(BaseInfoNCE, BaseEncoderDecoder):
    """InfoNCE with a decoder: NT-Xent on two views plus reconstruction.

    The MIM encoder and dense decoder, trained with NT-Xent between the
    (projected) codes of two augmented views, as
    :class:`InfoNCETransformer`, plus ``reconstruction_weight`` times
    ``-log p(x | mu(x))`` of the clean input.  The decoder reads the
    deterministic code ``mu(x)`` (an auto-encoder: no prior, no sampled
    code, so no ``sample``), so informative embeddings apply as for
    :class:`~skcmim.MIMTransformer`: with ``informative=True``,
    ``transform`` returns the code followed by the decoder's hidden
    activations at the code.  ``score_samples`` is ``log p(x | mu(x))``.
    Numeric data only.  The views are of the network input: standardised
    features for a Gaussian decoder, the raw values in [0, 1] for a
    Bernoulli one.

    See Also
    --------
    InfoNCETransformer : the same views and loss, without a decoder.
    skcmim.CMIMTransformer : contrastive without augmentations, with a decoder and a prior.
    """

    reconstruction_weight: float = param(
        0.1,
        [Interval(Real, 0, None, closed="left")],
        "float",
        "Weight of the reconstruction term ``-log p(x | mu(x))`` (summed over features) against the NT-Xent term "
        "(the default was chosen on a validation split, ``benchmarks/claims/tuning.py``).",
    )

    _network_role = "view_encoder_decoder"
    _has_prior = False  # an auto-encoder: codes drawn from N(0, I) mean nothing to its decoder

    def _criterion_spec(self):
        return NTXentReconstructionLoss, {
            "temperature": self.contrastive_temperature,
            "reconstruction_weight": self.reconstruction_weight,
        }
