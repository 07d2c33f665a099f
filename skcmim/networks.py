"""Torch networks: a Gaussian encoder and dense decoders with their likelihoods.

Nothing here knows about scikit-learn; the estimators build these modules in
``fit`` and the training engine optimises them.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .losses import LatentOutput, gaussian_log_density

__all__ = ["DenseDecoder", "EncoderDecoder", "GaussianEncoder", "LIKELIHOODS"]

#: Lower clamp of every log standard deviation (encoder and Gaussian decoder).
MIN_LOG_SCALE = -6.0

LIKELIHOODS = ("bernoulli", "gaussian")


def _hidden_stack(n_inputs, hidden_layer_sizes):
    """Linear layers of an MLP body, each followed by a ReLU in ``forward``."""
    sizes = (n_inputs, *hidden_layer_sizes)
    return nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:]))


class GaussianEncoder(nn.Module):
    """MLP encoder for q(z | x) = N(mu(x), diag(sigma(x)^2)).

    Parameters
    ----------
    n_features : int
        Input width.
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers, input side first.
    n_components : int
        Latent width.
    """

    def __init__(self, n_features, hidden_layer_sizes, n_components):
        super().__init__()
        self.layers = _hidden_stack(n_features, hidden_layer_sizes)
        last = hidden_layer_sizes[-1] if hidden_layer_sizes else n_features
        self.head = nn.Linear(last, 2 * n_components)

    def forward(self, x):
        """Return ``(mu, log_sigma)``, with ``log_sigma`` clamped below."""
        for layer in self.layers:
            x = F.relu(layer(x))
        mu, log_sigma = self.head(x).chunk(2, dim=-1)
        return mu, log_sigma.clamp(min=MIN_LOG_SCALE)


class DenseDecoder(nn.Module):
    """MLP decoder p(x | z) with a Bernoulli or Gaussian likelihood.

    Parameters
    ----------
    n_components : int
        Latent width.
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers, latent side first.
    n_features : int
        Output width.
    likelihood : {"bernoulli", "gaussian"}
        ``"bernoulli"`` outputs logits for data in [0, 1]; ``"gaussian"``
        outputs a mean and learns one log-scale per feature (clamped below).
    """

    def __init__(self, n_components, hidden_layer_sizes, n_features, likelihood):
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        self.likelihood = likelihood
        self.layers = _hidden_stack(n_components, hidden_layer_sizes)
        last = hidden_layer_sizes[-1] if hidden_layer_sizes else n_components
        self.out = nn.Linear(last, n_features)
        if likelihood == "gaussian":
            self.log_scale = nn.Parameter(torch.zeros(n_features))

    def hidden_states(self, z):
        """Activations of every hidden layer at ``z`` (the informative read-out)."""
        states = []
        for layer in self.layers:
            z = F.relu(layer(z))
            states.append(z)
        return states

    def forward(self, z):
        """Distribution parameters: logits (Bernoulli) or means (Gaussian)."""
        for layer in self.layers:
            z = F.relu(layer(z))
        return self.out(z)

    def log_likelihood(self, x, params):
        """``log p(x | z)`` per sample, summed over features."""
        if self.likelihood == "bernoulli":
            return -F.binary_cross_entropy_with_logits(params, x, reduction="none").sum(-1)
        log_scale = self.log_scale.clamp(min=MIN_LOG_SCALE)
        return gaussian_log_density(x, params, log_scale.expand_as(params))

    def mean(self, params):
        """Expected value of x given the distribution parameters."""
        return torch.sigmoid(params) if self.likelihood == "bernoulli" else params


class EncoderDecoder(nn.Module):
    """Encoder, decoder and reparameterised sampling, as one module.

    Parameters
    ----------
    n_features : int
        Width of the data.
    n_components : int
        Width of the code.
    hidden_layer_sizes : tuple of int
        Encoder hidden widths; the decoder mirrors them.
    likelihood : {"bernoulli", "gaussian"}
        Decoder likelihood.
    """

    def __init__(self, n_features, n_components, hidden_layer_sizes, likelihood):
        super().__init__()
        hidden_layer_sizes = tuple(hidden_layer_sizes)
        self.encoder = GaussianEncoder(n_features, hidden_layer_sizes, n_components)
        self.decoder = DenseDecoder(n_components, hidden_layer_sizes[::-1], n_features, likelihood)

    def forward(self, x, sample=True):
        """Encode, pick a code (a sample, or the mean) and score the decoder.

        Returns
        -------
        LatentOutput
        """
        mu, log_sigma = self.encoder(x)
        z = mu + torch.exp(log_sigma) * torch.randn_like(mu) if sample else mu
        log_px = self.decoder.log_likelihood(x, self.decoder(z))
        return LatentOutput(mu, log_sigma, z, log_px)

    def encode(self, x):
        """Posterior mean ``mu(x)``."""
        return self.encoder(x)[0]

    def decode(self, z):
        """Expected data ``E[x | z]``."""
        return self.decoder.mean(self.decoder(z))

    def informative(self, x, layers=None):
        """``mu(x)`` concatenated with decoder hidden states at ``z = mu(x)``.

        Parameters
        ----------
        x : Tensor of shape (batch, n_features)
        layers : sequence of int or None
            Indices of the decoder hidden layers to include (all when None).
        """
        mu = self.encode(x)
        states = self.decoder.hidden_states(mu)
        if layers is not None:
            states = [states[i] for i in layers]
        return torch.cat([mu, *states], dim=-1)

    def informative_widths(self):
        """Widths of the decoder hidden layers, in read-out order."""
        return [layer.out_features for layer in self.decoder.layers]


class AugmentedEncoder(nn.Module):
    """The MIM encoder trained on two noisy views (the InfoNCE baseline).

    In training, each forward pass draws two views of the batch with
    Gaussian noise and feature dropout and returns the two codes; the code
    used by ``transform`` is the encoder mean of the clean input.

    Parameters
    ----------
    n_features : int
    hidden_layer_sizes : tuple of int
    n_components : int
    noise_std : float
        Standard deviation of the additive Gaussian noise (data are
        standardised, so this is relative to each feature's spread).
    feature_dropout : float
        Probability of zeroing each feature of a view.
    """

    def __init__(self, n_features, hidden_layer_sizes, n_components, noise_std, feature_dropout):
        super().__init__()
        self.encoder = GaussianEncoder(n_features, tuple(hidden_layer_sizes), n_components)
        self.noise_std = noise_std
        self.feature_dropout = feature_dropout

    def _view(self, x):
        noisy = x + self.noise_std * torch.randn_like(x)
        return F.dropout(noisy, p=self.feature_dropout, training=True) * (1 - self.feature_dropout)

    def forward(self, x):
        """Codes ``(h1, h2)`` of two random views of ``x``."""
        return self.encoder(self._view(x))[0], self.encoder(self._view(x))[0]

    def encode(self, x):
        """Encoder mean of the clean input."""
        return self.encoder(x)[0]
