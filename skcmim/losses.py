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
    """

    mu: torch.Tensor
    log_sigma: torch.Tensor
    z: torch.Tensor
    log_px: torch.Tensor


def gaussian_log_density(z, mu, log_sigma):
    """Log-density of ``z`` under N(mu, diag(exp(log_sigma)^2)), summed over dims."""
    standardized = (z - mu) * torch.exp(-log_sigma)
    return (-0.5 * standardized.pow(2) - log_sigma - 0.5 * _LOG_2PI).sum(-1)


def standard_normal_log_density(z):
    """Log-density of ``z`` under the N(0, I) prior, summed over dims."""
    return (-0.5 * z.pow(2) - 0.5 * _LOG_2PI).sum(-1)


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
    Its input is a :class:`~skcmim.networks.ViewsAndReconstruction`.

    Parameters
    ----------
    temperature : float, default=0.1
        Temperature of NT-Xent.
    reconstruction_weight : float, default=1.0
        Weight of the reconstruction term.
    """

    def __init__(self, temperature=0.1, reconstruction_weight=1.0):
        super().__init__()
        self.temperature = temperature
        self.reconstruction_weight = reconstruction_weight

    def per_sample(self, output, contrastive=True):
        """Loss of each sample; without ``contrastive`` (scoring), ``-log p(x | mu(x))`` unweighted."""
        reconstruction = -output.log_px
        if not contrastive:
            return reconstruction
        views = nt_xent_loss(*output.views, temperature=self.temperature)
        return views.view(2, -1).mean(0) + self.reconstruction_weight * reconstruction

    def forward(self, output, target=None):
        """Mean loss over the batch; ``target`` is ignored (unsupervised)."""
        return self.per_sample(output).mean()


_OBJECTIVES = {"amim": amim_loss, "vae": vae_loss}


class MIMLoss(nn.Module):
    """Batch loss of an encoder-decoder: A-MIM or VAE, plus an optional
    contrastive term.

    With ``objective="amim"`` and ``contrastive_weight=0`` this is MIM; with a
    positive weight it is cMIM.  ``objective="vae"`` gives the VAE and cVAE
    baselines on the same networks.

    Parameters
    ----------
    objective : {"amim", "vae"}, default="amim"
        Which latent objective to use.
    contrastive_weight : float, default=0.0
        Weight ``w_c`` of ``-log p(k=1 | z, x)``.
    temperature : float, default=0.1
        Temperature of the contrastive term.
    """

    def __init__(self, objective="amim", contrastive_weight=0.0, temperature=0.1):
        super().__init__()
        if objective not in _OBJECTIVES:
            raise ValueError(f"objective must be one of {sorted(_OBJECTIVES)}, got {objective!r}")
        self.objective = objective
        self.contrastive_weight = contrastive_weight
        self.temperature = temperature
        # Under data parallelism (skcmim.distributed): a function of the local
        # codes returning (global batch codes, offset of the local rows).
        self.gather_codes = None

    def per_sample(self, output, contrastive=True):
        """Loss of each sample of ``output`` (a :class:`LatentOutput`)."""
        log_qz = gaussian_log_density(output.z, output.mu, output.log_sigma)
        log_pz = standard_normal_log_density(output.z)
        loss = _OBJECTIVES[self.objective](output.log_px, log_qz, log_pz)
        if contrastive and self.contrastive_weight > 0:
            batch_codes, offset = self.gather_codes(output.z) if self.gather_codes else (None, 0)
            log_prob = contrastive_log_prob(output.z, self.temperature, batch_codes, offset)
            loss = loss - self.contrastive_weight * log_prob
        return loss

    def forward(self, output, target=None):
        """Mean loss over the batch; ``target`` is ignored (unsupervised)."""
        return self.per_sample(output).mean()
