"""Per-sample losses of the Mutual Information Machine and its baselines.

Every function returns one value per sample; the training loss is the mean
over the batch.  Log-densities are summed over dimensions.  The equations are
in the user guide (``docs/user_guide.rst``, "The losses").

The network computes ``log p(x | z)`` itself (it knows its likelihood), so the
losses here only see the latent quantities and that one number per sample.
This keeps them identical for the dense (MLP) and the SMILES sequence models.
"""

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "LatentOutput",
    "MIMLoss",
    "NTXentLoss",
    "NTXentReconstructionLoss",
    "amim_loss",
    "contrastive_log_prob",
    "gaussian_log_density",
    "nt_xent_loss",
    "scale_gradient",
    "standard_normal_log_density",
    "vae_loss",
]

_LOG_2PI = math.log(2.0 * math.pi)


class LatentOutput(NamedTuple):
    """What an encoder-decoder forward pass hands to the loss.

    Attributes
    ----------
    mu : Tensor of shape (batch, n_components)
        Posterior mean of q(z | x).
    log_sigma : Tensor of shape (batch, n_components)
        Posterior log standard deviation (already clamped).
    z : Tensor of shape (batch, n_components)
        The code the decoder saw: a reparameterised sample, or ``mu``.
    log_px : Tensor of shape (batch,)
        Decoder log-likelihood ``log p(x | z)``, summed over features.
    n_observed : Tensor of shape (batch,) or None
        How many values ``log_px`` sums over for each sample: the features
        (dense data) or the non-pad target tokens (SMILES).  Needed by
        ``reconstruction="mean"`` only.
    """

    mu: torch.Tensor
    log_sigma: torch.Tensor
    z: torch.Tensor
    log_px: torch.Tensor
    n_observed: torch.Tensor | None = None


def gaussian_log_density(z, mu, log_sigma, *, per_dimension=False):
    """Log-density of ``z`` under N(mu, diag(exp(log_sigma)^2)), summed over dims (or per dim)."""
    standardized = (z - mu) * torch.exp(-log_sigma)
    density = -0.5 * standardized.pow(2) - log_sigma - 0.5 * _LOG_2PI
    return density if per_dimension else density.sum(-1)


def standard_normal_log_density(z, *, per_dimension=False):
    """Log-density of ``z`` under the N(0, I) prior, summed over dims (or per dim)."""
    density = -0.5 * z.pow(2) - 0.5 * _LOG_2PI
    return density if per_dimension else density.sum(-1)


def scale_gradient(value, factor):
    """``value`` itself, whose gradient is multiplied by ``factor`` in backward.

    ``x - x.detach()`` is exactly zero, so the value is bit-identical; only
    the gradient is scaled (KERMT's ``GradientNormalizedLoss``, see
    :class:`MIMLoss`).
    """
    frozen = value.detach()
    return frozen + factor * (value - frozen)


def amim_loss(log_px, log_qz, log_pz):
    """Asymmetric MIM loss ``-[log p(x|z) + (log q(z|x) + log P(z)) / 2]``."""
    return -(log_px + 0.5 * (log_qz + log_pz))


def vae_loss(log_px, log_qz, log_pz):
    """Negative ELBO ``-[log p(x|z) + log P(z) - log q(z|x)]`` (single sample)."""
    return -(log_px + log_pz - log_qz)


def contrastive_log_prob(z, temperature=0.1, batch_codes=None, offset=0):
    """cMIM's ``log p(k=1 | z_i, x_i)`` for every sample of a batch.

    The positive of sample ``i`` is its own code (cosine similarity 1); the
    negatives are the other codes of the batch, whose exponentiated
    similarities are averaged (divided by ``B - 1``) rather than summed, so
    the term's scale does not grow with the batch size.  A batch of one has no
    negatives and gives zero.

    Parameters
    ----------
    z : Tensor of shape (batch, n_components)
        Codes of the batch.
    temperature : float, default=0.1
        Softmax temperature ``tau``.
    batch_codes : Tensor of shape (global_batch, n_components) or None
        Under data parallelism, the codes of the whole (global) batch, whose
        rows ``offset`` to ``offset + len(z)`` are this process's ``z``; the
        negatives then come from the global batch.  None: ``z`` is the batch.
    offset : int, default=0
        Position of ``z`` in ``batch_codes``.

    Returns
    -------
    Tensor of shape (batch,)
        Log-probability of picking the positive; always <= 0.
    """
    codes = z if batch_codes is None else batch_codes
    batch_size = codes.shape[0]
    if batch_size < 2:
        return z.new_zeros(z.shape[0])
    unit = F.normalize(codes, dim=-1)
    rows = torch.arange(z.shape[0], device=z.device)
    logits = unit[offset : offset + z.shape[0]] @ unit.T / temperature
    positive = logits[rows, rows + offset]
    own = torch.zeros_like(logits, dtype=torch.bool)
    own[rows, rows + offset] = True
    negatives = logits.masked_fill(own, -math.inf) - math.log(batch_size - 1)
    candidates = torch.cat([positive[:, None], negatives], dim=1)
    return positive - torch.logsumexp(candidates, dim=1)


def nt_xent_loss(h1, h2, temperature=0.1):
    """NT-Xent (SimCLR's InfoNCE) between the codes of two views of a batch.

    Each of the ``2B`` codes must pick its other view among the ``2B - 1``
    other codes; the negatives are summed, so the loss grows like
    ``log(2B - 1)`` with the batch size.

    Parameters
    ----------
    h1, h2 : Tensor of shape (batch, n_components)
        Codes of the first and second view of the same samples.
    temperature : float, default=0.1

    Returns
    -------
    Tensor of shape (2 * batch,)
        Per-code cross-entropy.
    """
    batch_size = h1.shape[0]
    unit = F.normalize(torch.cat([h1, h2]), dim=-1)
    logits = unit @ unit.T / temperature
    eye = torch.eye(2 * batch_size, dtype=torch.bool, device=unit.device)
    logits = logits.masked_fill(eye, -math.inf)
    targets = torch.cat([torch.arange(batch_size, 2 * batch_size), torch.arange(batch_size)]).to(unit.device)
    return F.cross_entropy(logits, targets, reduction="none")


class NTXentLoss(nn.Module):
    """Batch NT-Xent loss on a pair of view codes ``(h1, h2)``.

    Parameters
    ----------
    temperature : float, default=0.1
    """

    def __init__(self, temperature=0.1):
        super().__init__()
        self.temperature = temperature

    def forward(self, views, target=None):
        """Mean NT-Xent over the ``2B`` codes; ``target`` is ignored."""
        return nt_xent_loss(*views, temperature=self.temperature).mean()


class NTXentReconstructionLoss(nn.Module):
    """NT-Xent between two views plus weighted reconstruction of the clean input.

    The loss of InfoNCE with a decoder: per sample, the mean of its two
    views' NT-Xent terms plus ``reconstruction_weight * -log p(x | mu(x))``.
    Its input is a :class:`~skcmim.networks.ViewsAndReconstruction`.  As
    :class:`MIMLoss`, it keeps the batch means of its unweighted terms in
    :attr:`last_terms` for the training history.

    Parameters
    ----------
    temperature : float, default=0.1
        Temperature of NT-Xent.
    reconstruction_weight : float, default=1.0
        Weight of the reconstruction term.

    Attributes
    ----------
    last_terms : dict of str to Tensor
        Batch means of the last call's terms: ``reconstruction``
        (``-log p(x|mu(x))``) and ``contrastive`` (NT-Xent).
    """

    def __init__(self, temperature=0.1, reconstruction_weight=1.0):
        super().__init__()
        self.temperature = temperature
        self.reconstruction_weight = reconstruction_weight
        self.last_terms = {}

    @staticmethod
    def term_names(**_):
        """Names of the terms :attr:`last_terms` holds."""
        return ["reconstruction", "contrastive"]

    def per_sample(self, output):
        """Loss of each sample: the mean of its two views' NT-Xent terms plus the weighted reconstruction."""
        reconstruction = self.score_per_sample(output)
        contrastive = nt_xent_loss(*output.views, temperature=self.temperature).view(2, -1).mean(0)
        self.last_terms = {
            "reconstruction": reconstruction.detach().float().mean(),
            "contrastive": contrastive.detach().float().mean(),
        }
        return contrastive + self.reconstruction_weight * reconstruction

    def score_per_sample(self, output):
        """``-log p(x | mu(x))`` of each sample, unweighted: what ``score_samples`` reports (negated)."""
        return -output.log_px

    def forward(self, output, target=None):
        """Mean loss over the batch; ``target`` is ignored (unsupervised)."""
        return self.per_sample(output).mean()


_OBJECTIVES = {"amim": amim_loss, "vae": vae_loss}
#: The values of MIMLoss's options (the estimators validate their parameters against them).
LATENT_SCALES = ("none", "per_dimension")
RECONSTRUCTIONS = ("sum", "mean")
CONTRASTIVE_CODES = ("z", "mu")
#: Name of the latent term of each objective in the training history.
LATENT_TERMS = {"amim": "latent", "vae": "kl"}


def _check_option(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")


class MIMLoss(nn.Module):
    """Batch loss of an encoder-decoder: A-MIM or VAE, plus an optional
    contrastive term.

    With ``objective="amim"`` and ``contrastive_weight=0`` this is MIM; with a
    positive weight it is cMIM.  ``objective="vae"`` gives the VAE and cVAE
    baselines on the same networks.

    After each call, :attr:`last_terms` holds the batch means of the terms,
    unweighted; the training engine records them in the history.

    Parameters
    ----------
    objective : {"amim", "vae"}, default="amim"
        Which latent objective to use.
    contrastive_weight : float, default=0.0
        Weight ``w_c`` of ``-log p(k=1 | z, x)``.
    temperature : float, default=0.1
        Temperature of the contrastive term.
    latent_scale : {"none", "per_dimension"}, default="none"
        ``"per_dimension"`` divides the gradient of ``log q(z|x)`` and
        ``log P(z)`` (hence of the A-MIM latent term and of the VAE's KL) by
        ``n_components`` and leaves the loss value as it is, as NVIDIA's
        published cMIM code does with its opt-in ``normalize_gradient=True``
        (KERMT's ``compute_cmim_loss``, through ``normalize_loss_gradient``).
    reconstruction : {"sum", "mean"}, default="sum"
        ``"mean"`` averages ``log p(x|z)`` over the features or the non-pad
        tokens (``LatentOutput.n_observed``) instead of summing it.
    contrastive_on : {"z", "mu"}, default="z"
        The codes the contrastive similarities use: the sampled code, or the
        posterior mean.
    free_bits : float, default=0.0
        VAE only: each code dimension's KL counts as at least this many nats
        (its batch mean; Kingma et al., 2016): the KL term is
        ``sum_d max(free_bits, mean_i KL_id)``.

    Attributes
    ----------
    kl_weight : float
        Weight of the VAE's KL term while training (1.0 unless a KL warm-up
        sets it each epoch); validation and scores use 1.0.
    last_terms : dict of str to Tensor
        Batch means of the last call's terms: ``reconstruction``
        (``-log p(x|z)`` as trained), ``latent`` (A-MIM:
        ``-(log q + log P) / 2``) or ``kl`` (VAE: ``log q - log P``), and
        ``contrastive`` (``-log p(k=1|z,x)``) when its weight is positive.
    """

    def __init__(
        self,
        objective="amim",
        contrastive_weight=0.0,
        temperature=0.1,
        *,
        latent_scale="none",
        reconstruction="sum",
        contrastive_on="z",
        free_bits=0.0,
    ):
        super().__init__()
        if objective not in _OBJECTIVES:
            raise ValueError(f"objective must be one of {sorted(_OBJECTIVES)}, got {objective!r}")
        _check_option("latent_scale", latent_scale, LATENT_SCALES)
        _check_option("reconstruction", reconstruction, RECONSTRUCTIONS)
        _check_option("contrastive_on", contrastive_on, CONTRASTIVE_CODES)
        if free_bits and objective != "vae":
            raise ValueError(
                f"free_bits applies to the VAE's KL term only, got free_bits={free_bits!r} with objective={objective!r}"
            )
        self.objective = objective
        self.contrastive_weight = contrastive_weight
        self.temperature = temperature
        self.latent_scale = latent_scale
        self.reconstruction = reconstruction
        self.contrastive_on = contrastive_on
        self.free_bits = free_bits
        self.kl_weight = 1.0
        self.last_terms = {}
        # Under data parallelism (skcmim.distributed): a function of the local
        # codes returning (global batch codes, offset of the local rows).
        self.gather_codes = None

    @staticmethod
    def term_names(objective="amim", contrastive_weight=0.0, **_):
        """Names of the terms :attr:`last_terms` holds for these parameters."""
        return ["reconstruction", LATENT_TERMS[objective]] + (["contrastive"] if contrastive_weight > 0 else [])

    def _log_likelihood(self, output):
        if self.reconstruction == "sum":
            return output.log_px
        if output.n_observed is None:
            raise ValueError("reconstruction='mean' needs the network to report n_observed in its LatentOutput")
        return output.log_px / output.n_observed.clamp(min=1).to(output.log_px.dtype)

    def _latent_log_densities(self, output, per_dimension=False):
        log_qz = gaussian_log_density(output.z, output.mu, output.log_sigma, per_dimension=per_dimension)
        log_pz = standard_normal_log_density(output.z, per_dimension=per_dimension)
        if self.latent_scale == "per_dimension":
            factor = 1.0 / output.z.shape[-1]
            log_qz, log_pz = scale_gradient(log_qz, factor), scale_gradient(log_pz, factor)
        return log_qz, log_pz

    def per_sample(self, output, contrastive=True):
        """Loss of each sample of ``output`` (a :class:`LatentOutput`), as trained.

        Also keeps the batch means of its unweighted terms in :attr:`last_terms`.
        """
        log_px = self._log_likelihood(output)
        log_qz, log_pz = self._latent_log_densities(output)
        kl_weight = self.kl_weight if self.training else 1.0
        if self.objective == "amim":
            loss = amim_loss(log_px, log_qz, log_pz)
        elif kl_weight == 1.0 and not self.free_bits:
            loss = vae_loss(log_px, log_qz, log_pz)
        else:
            loss = kl_weight * self._kl_loss(output, log_qz, log_pz) - log_px
        latent = -0.5 * (log_qz + log_pz) if self.objective == "amim" else log_qz - log_pz
        terms = {"reconstruction": -log_px, LATENT_TERMS[self.objective]: latent}
        if contrastive and self.contrastive_weight > 0:
            log_prob = self._contrastive_log_prob(output)
            loss = loss - self.contrastive_weight * log_prob
            terms["contrastive"] = -log_prob
        self.last_terms = {name: value.detach().float().mean() for name, value in terms.items()}
        return loss

    def _kl_loss(self, output, log_qz, log_pz):
        """The VAE's KL term as trained: with free bits, each dim's batch mean at least ``free_bits``."""
        if not self.free_bits:
            return log_qz - log_pz
        log_qz, log_pz = self._latent_log_densities(output, per_dimension=True)
        kl = log_qz - log_pz
        # a dim under the floor contributes the constant floor (no gradient), so the
        # batch mean of the per-sample values is sum_d max(free_bits, mean_i KL_id)
        below = kl.detach().mean(0) < self.free_bits
        return torch.where(below, kl.new_tensor(float(self.free_bits)), kl).sum(-1)

    def _contrastive_log_prob(self, output):
        codes = output.z if self.contrastive_on == "z" else output.mu
        batch_codes, offset = self.gather_codes(codes) if self.gather_codes else (None, 0)
        return contrastive_log_prob(codes, self.temperature, batch_codes, offset)

    def score_per_sample(self, output):
        """The plain objective of each sample (summed reconstruction, no contrastive term, weight 1).

        What ``score_samples`` reports, so that scores compare across the
        training options (``latent_scale``, ``reconstruction``, KL warm-up,
        free bits), which change how the model is trained, not what it is.
        """
        log_qz = gaussian_log_density(output.z, output.mu, output.log_sigma)
        log_pz = standard_normal_log_density(output.z)
        return _OBJECTIVES[self.objective](output.log_px, log_qz, log_pz)

    def forward(self, output, target=None):
        """Mean loss over the batch; ``target`` is ignored (unsupervised)."""
        return self.per_sample(output).mean()
