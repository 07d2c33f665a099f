"""Torch networks: a Gaussian encoder and dense decoders with their likelihoods.

Nothing here knows about scikit-learn; the estimators build these modules in
``fit`` and the training engine optimises them.
"""

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .gru import applies as gru_kernel_applies
from .gru import gru_layer
from .losses import LatentOutput, gaussian_log_density
from .molecules import MIN_SEQUENCE_LENGTH

__all__ = [
    "AUGMENTATIONS",
    "AugmentedEncoder",
    "AugmentedEncoderDecoder",
    "AugmentedSmilesEncoder",
    "ContrastiveViews",
    "DenseDecoder",
    "EncoderDecoder",
    "GaussianEncoder",
    "GaussianNoiseDropout",
    "LIKELIHOODS",
    "RandomShift",
    "ScarfCorruption",
    "SmilesEncoder",
    "SmilesEncoderDecoder",
    "ViewAugmentation",
    "ViewsAndReconstruction",
    "augmentation_names",
    "check_image_shape",
    "projection_mlp",
]

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


class ReparameterisedCode:
    """Mixin: draw a code ``z = mu + sigma * eps`` by reparameterisation.

    ``noise_shard`` is set to ``(rank, world_size)`` while a data-parallel
    fit trains (:mod:`skcmim.distributed`): every process then draws the
    noise of the whole global batch, from the same seed, and keeps its own
    rows, so the processes together use the noise a single process would.
    """

    noise_shard = None

    def sample_code(self, mu, log_sigma):
        if self.noise_shard is None:
            noise = torch.randn_like(mu)
        else:
            rank, world_size = self.noise_shard
            rows = len(mu)
            noise = torch.randn((rows * world_size, *mu.shape[1:]), dtype=mu.dtype, device=mu.device)
            noise = noise[rank * rows : (rank + 1) * rows]
        return mu + torch.exp(log_sigma) * noise


class EncoderDecoder(ReparameterisedCode, nn.Module):
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
        z = self.sample_code(mu, log_sigma) if sample else mu
        log_px = self.decoder.log_likelihood(x, self.decoder(z))
        return LatentOutput(mu, log_sigma, z, log_px, log_px.new_full(log_px.shape, x.shape[-1]))

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


class GaussianNoiseDropout(nn.Module):
    """The ``"noise"`` view: additive Gaussian noise, then feature dropout.

    Parameters
    ----------
    noise_std : float
        Standard deviation of the noise (the InfoNCE input is standardised,
        so this is relative to each feature's spread).
    feature_dropout : float
        Probability of zeroing each feature; the kept ones are not rescaled.
    """

    def __init__(self, noise_std, feature_dropout):
        super().__init__()
        self.noise_std = noise_std
        self.feature_dropout = feature_dropout

    def forward(self, x):
        noisy = x + self.noise_std * torch.randn_like(x)
        return F.dropout(noisy, p=self.feature_dropout, training=True) * (1 - self.feature_dropout)


class ScarfCorruption(nn.Module):
    """The ``"scarf"`` view (SCARF, Bahri et al. 2022): corrupt features from their empirical marginal.

    In each row, ``round(corruption_rate * n_features)`` features drawn at
    random take the value of the same feature in another random row of the
    batch.  A batch of one row has no other row and is left as it is.

    Parameters
    ----------
    corruption_rate : float
        Share of the features of each row that are replaced.
    """

    def __init__(self, corruption_rate):
        super().__init__()
        self.corruption_rate = corruption_rate

    def forward(self, x):
        rows, n_features = x.shape
        n_corrupted = round(self.corruption_rate * n_features)
        if rows < 2 or n_corrupted == 0:
            return x
        # an exact count per row (as the paper's code), drawn without a Python loop over rows
        chosen = torch.rand(rows, n_features, device=x.device).argsort(dim=1)[:, :n_corrupted]
        corrupted = torch.zeros(rows, n_features, dtype=torch.bool, device=x.device).scatter_(1, chosen, True)
        # an offset in [1, rows) never lands on the row itself
        donors = (
            torch.arange(rows, device=x.device)[:, None] + torch.randint(1, rows, (rows, n_features), device=x.device)
        ) % rows
        return torch.where(corrupted, x.gather(0, donors), x)


class RandomShift(nn.Module):
    """The ``"shift"`` view: translate each image by up to ``max_shift`` pixels.

    Each row, a flattened ``image_shape`` image, moves by its own random
    offset in ``[-max_shift, max_shift]`` along each axis; pixels moved in
    from outside are zero (a random crop of the zero-padded image).  The
    network input is standardised per feature, so the shift is applied to
    the unstandardised image, ``x * feature_scale + feature_mean``, and the
    result standardised again: a zero pixel stays a zero pixel wherever it
    moves.

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width)``, row-major; ``height * width`` is the number of
        features.
    max_shift : int
        Largest translation, in pixels, along each axis.
    feature_mean, feature_scale : sequence of float or None
        The standardisation of the network input (None: the input is the
        image itself).
    """

    def __init__(self, image_shape, max_shift, feature_mean=None, feature_scale=None):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.max_shift = max_shift
        n_features = self.image_shape[0] * self.image_shape[1]
        # not persistent: rebuilt from the input's fitted state, so model files are unchanged
        mean = torch.zeros(n_features) if feature_mean is None else torch.as_tensor(feature_mean, dtype=torch.float32)
        scale = torch.ones(n_features) if feature_scale is None else torch.as_tensor(feature_scale, dtype=torch.float32)
        self.register_buffer("feature_mean", mean, persistent=False)
        self.register_buffer("feature_scale", scale, persistent=False)

    def forward(self, x):
        height, width = self.image_shape
        rows, pad = x.shape[0], self.max_shift
        images = (x * self.feature_scale + self.feature_mean).view(rows, height, width)
        padded = F.pad(images, (pad, pad, pad, pad))
        # corner of each row's crop in the padded image: pad - shift, for a shift in [-pad, pad]
        corners = torch.randint(0, 2 * pad + 1, (rows, 2), device=x.device)
        ys = corners[:, :1] + torch.arange(height, device=x.device)
        xs = corners[:, 1:] + torch.arange(width, device=x.device)
        batch = torch.arange(rows, device=x.device)[:, None, None]
        shifted = padded[batch, ys[:, :, None], xs[:, None, :]].reshape(rows, -1)
        return (shifted - self.feature_mean) / self.feature_scale


#: The view augmentations, by the name of the ``augmentation`` parameter.
AUGMENTATIONS = ("noise", "scarf", "shift")


def augmentation_names(augmentation):
    """An ``augmentation`` argument as a tuple of names from :data:`AUGMENTATIONS`, or a clear ValueError."""
    names = (augmentation,) if isinstance(augmentation, str) else tuple(augmentation)
    if not names or any(not isinstance(name, str) or name not in AUGMENTATIONS for name in names):
        raise ValueError(
            f"augmentation must be one of {AUGMENTATIONS} or a non-empty tuple of them, got {augmentation!r}."
        )
    return names


def check_image_shape(image_shape, n_features, augmentation):
    """A clear ValueError when ``image_shape`` is missing for ``"shift"`` or does not match the data."""
    if image_shape is None:
        if "shift" in augmentation:
            raise ValueError(
                "augmentation='shift' translates images and needs image_shape=(height, width), the shape of "
                "each row as an image (e.g. (28, 28) for MNIST)."
            )
        return
    height, width = image_shape
    if height * width != n_features:
        raise ValueError(
            f"image_shape={tuple(image_shape)!r} has {height * width} pixels, but X has {n_features} features; "
            f"the rows must be flattened height x width images."
        )


class ViewAugmentation(nn.Module):
    """Draws a random view of a batch: the named augmentations, in the order given.

    Randomness comes from the global torch RNG, which the training engine
    seeds from ``random_state``, so views are reproducible.

    Parameters
    ----------
    n_features : int
    augmentation : str or sequence of str
        Names from :data:`AUGMENTATIONS`.
    noise_std, feature_dropout : float
        Of ``"noise"`` (:class:`GaussianNoiseDropout`).
    corruption_rate : float
        Of ``"scarf"`` (:class:`ScarfCorruption`).
    image_shape : tuple of int or None
        Of ``"shift"`` (:class:`RandomShift`); required with it, checked
        against ``n_features`` whenever given.
    max_shift : int
        Of ``"shift"``.
    feature_mean, feature_scale : sequence of float or None
        Of ``"shift"``: the standardisation of the network input.
    """

    def __init__(
        self,
        n_features,
        augmentation,
        noise_std,
        feature_dropout,
        corruption_rate=0.6,
        image_shape=None,
        max_shift=2,
        feature_mean=None,
        feature_scale=None,
    ):
        super().__init__()
        names = augmentation_names(augmentation)
        check_image_shape(image_shape, n_features, names)
        build = {
            "noise": lambda: GaussianNoiseDropout(noise_std, feature_dropout),
            "scarf": lambda: ScarfCorruption(corruption_rate),
            "shift": lambda: RandomShift(image_shape, max_shift, feature_mean, feature_scale),
        }
        self.steps = nn.ModuleList(build[name]() for name in names)

    def forward(self, x):
        for step in self.steps:
            x = step(x)
        return x


def projection_mlp(n_components, projection_head):
    """SimCLR's projection head on the code, or None.

    ``projection_head`` lists the hidden widths (each followed by a ReLU);
    a last linear layer projects back to ``n_components``, where NT-Xent is
    computed.
    """
    if projection_head is None:
        return None
    sizes = (n_components, *projection_head)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], n_components))


class ContrastiveViews:
    """Mixin: the NT-Xent inputs of a network with an ``encode`` method.

    ``view_codes`` draws two views with ``self.augment`` (a
    :class:`ViewAugmentation`), encodes them and, with a projection head
    (``self.projection``), projects the codes; ``encode`` itself, what
    ``transform`` returns, stays before the head.  (No class-level
    defaults: ``nn.Module`` keeps submodules out of the instance
    dictionary, so a class attribute would hide them.)
    """

    def _add_views(self, n_features, n_components, projection_head, **view_options):
        """Register ``self.augment`` (a :class:`ViewAugmentation` of ``view_options``) and ``self.projection``."""
        self.augment = ViewAugmentation(n_features, **view_options)
        self.projection = projection_mlp(n_components, projection_head)

    def _project(self, code):
        return code if self.projection is None else self.projection(code)

    def view_codes(self, x):
        """Projections ``(h1, h2)`` of two random views of ``x``."""
        # one view at a time: the RNG draws of view 1, its encoding, then view 2's (as before heads existed)
        first = self._project(self.encode(self.augment(x)))
        return first, self._project(self.encode(self.augment(x)))


class AugmentedEncoder(ContrastiveViews, nn.Module):
    """The MIM encoder trained on two random views (the InfoNCE baseline).

    In training, each forward pass draws two views of the batch (see
    :class:`ViewAugmentation`) and returns their codes, projected by the
    optional head; the code used by ``transform`` is the encoder mean of
    the clean input, before the head.

    Parameters
    ----------
    n_features : int
    hidden_layer_sizes : tuple of int
    n_components : int
    noise_std : float
        Standard deviation of the additive Gaussian noise of ``"noise"``
        (data are standardised, so this is relative to each feature's
        spread).
    feature_dropout : float
        Probability of zeroing each feature of a ``"noise"`` view.
    augmentation : str or tuple of str, default="noise"
        The view augmentations, applied in order (:data:`AUGMENTATIONS`).
    corruption_rate : float, default=0.6
        Share of features replaced in a ``"scarf"`` view.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` of each row, for ``"shift"``.
    max_shift : int, default=2
        Largest translation of a ``"shift"`` view, in pixels.
    projection_head : tuple of int or None, default=None
        Hidden widths of the projection head (:func:`projection_mlp`).
    feature_mean, feature_scale : sequence of float or None, default=None
        The standardisation of the input, which ``"shift"`` undoes.
    """

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        n_components,
        noise_std,
        feature_dropout,
        augmentation="noise",
        corruption_rate=0.6,
        image_shape=None,
        max_shift=2,
        projection_head=None,
        feature_mean=None,
        feature_scale=None,
    ):
        super().__init__()
        self.encoder = GaussianEncoder(n_features, tuple(hidden_layer_sizes), n_components)
        self._add_views(
            n_features,
            n_components,
            projection_head,
            augmentation=augmentation,
            noise_std=noise_std,
            feature_dropout=feature_dropout,
            corruption_rate=corruption_rate,
            image_shape=image_shape,
            max_shift=max_shift,
            feature_mean=feature_mean,
            feature_scale=feature_scale,
        )

    def forward(self, x):
        """Projected codes ``(h1, h2)`` of two random views of ``x``."""
        return self.view_codes(x)

    def encode(self, x):
        """Encoder mean of the clean input."""
        return self.encoder(x)[0]


class ViewsAndReconstruction(NamedTuple):
    """What :class:`AugmentedEncoderDecoder` hands to its loss.

    Attributes
    ----------
    views : tuple of two Tensors of shape (batch, n_projection), or None
        Projected codes of two random views; None when scoring.
    log_px : Tensor of shape (batch,)
        ``log p(x | mu(x))`` of the clean input.
    """

    views: tuple | None
    log_px: torch.Tensor


class AugmentedEncoderDecoder(ContrastiveViews, EncoderDecoder):
    """Encoder and dense decoder trained with NT-Xent on two views plus
    reconstruction of the clean input (the InfoNCE-with-decoder baseline).

    The decoder reconstructs ``x`` from its deterministic code ``mu(x)``
    (an auto-encoder: no prior, no sampling), so its hidden states give
    informative embeddings as for MIM.  ``encode``, ``decode``,
    ``informative`` and ``informative_widths`` are those of
    :class:`EncoderDecoder`.

    Parameters
    ----------
    n_features, n_components, hidden_layer_sizes, likelihood
        As for :class:`EncoderDecoder`.
    noise_std, feature_dropout, augmentation, corruption_rate, image_shape, max_shift, projection_head
        As for :class:`AugmentedEncoder`.
    feature_mean, feature_scale
        As for :class:`AugmentedEncoder`.
    """

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes,
        likelihood,
        noise_std,
        feature_dropout,
        augmentation="noise",
        corruption_rate=0.6,
        image_shape=None,
        max_shift=2,
        projection_head=None,
        feature_mean=None,
        feature_scale=None,
    ):
        super().__init__(n_features, n_components, hidden_layer_sizes, likelihood)
        self._add_views(
            n_features,
            n_components,
            projection_head,
            augmentation=augmentation,
            noise_std=noise_std,
            feature_dropout=feature_dropout,
            corruption_rate=corruption_rate,
            image_shape=image_shape,
            max_shift=max_shift,
            feature_mean=feature_mean,
            feature_scale=feature_scale,
        )

    def forward(self, x, sample=True):
        """Two views' projected codes (when ``sample``) and ``log p(x | mu(x))``.

        ``sample=False`` (scoring) draws no views, so the output is
        deterministic.

        Returns
        -------
        ViewsAndReconstruction
        """
        views = self.view_codes(x) if sample else None
        log_px = self.decoder.log_likelihood(x, self.decoder(self.encode(x)))
        return ViewsAndReconstruction(views, log_px)


class SmilesEncoder(nn.Module):
    """Gaussian encoder of SMILES token ids: the encoder half of
    :class:`SmilesEncoderDecoder`.

    Token embedding, bidirectional GRU over the non-pad tokens (each row
    read within its length, so the code does not depend on the padding),
    and a linear head on the last layer's final forward and backward states
    to ``mu`` and ``log_sigma`` (clamped below at -6).

    Parameters
    ----------
    vocab_size : int
    n_components : int
    embedding_dim : int, default=64
    hidden_size : int, default=256
        GRU width per direction.
    num_layers : int, default=1
    pad_index : int, default=0
    dropout : float, default=0.0
        Dropout between stacked GRU layers (used when ``num_layers > 1``).
    """

    def __init__(
        self, vocab_size, n_components, embedding_dim=64, hidden_size=256, num_layers=1, pad_index=0, dropout=0.0
    ):
        super().__init__()
        self.vocab_size = vocab_size
        self.n_components = n_components
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.pad_index = pad_index
        self.encoder_embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        self.encoder_rnn = nn.GRU(
            embedding_dim,
            hidden_size,
            num_layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.encoder_head = nn.Linear(2 * hidden_size, 2 * n_components)

    def _prepare(self, x):
        """Token ids as int64, trimmed to the batch's longest sequence, and
        the per-row lengths (at least 1), on the ids' device.

        Trimming trailing padding changes nothing (the encoder reads each
        row within its length, the decoder is causal and its pad targets
        ignored) and saves compute.
        """
        x = x.long()
        lengths = (x != self.pad_index).sum(dim=1).clamp(min=1)
        width = max(int(lengths.max()) if len(lengths) else 2, 2)
        return x[:, :width], lengths

    def _encode(self, x, lengths):
        final = self._final_states(self.encoder_embedding(x), lengths)
        mu, log_sigma = self.encoder_head(final).chunk(2, dim=-1)
        return mu, log_sigma.clamp(min=MIN_LOG_SCALE)

    def _final_states(self, inputs, lengths):
        """The last GRU layer's final forward and backward states of each row, read within its length.

        What the bidirectional ``encoder_rnn`` gives on packed sequences.
        When gradients flow (training) it is computed as two one-directional
        passes over the padded batch with the GRU's weights: the forward
        weights read each row from its start, the reverse weights read it
        reversed within its length, so no state ever sees a pad before a
        token.  Packed sequences train twice as slowly on the CPU (the
        backward pass of each time step's slice of a packed batch fills a
        gradient the size of the whole batch with zeros).  Without gradients
        (``transform``, decoding, scoring) the same two passes run where the
        fused GRU kernel applies (built, and float32 on the CPU:
        :func:`skcmim.gru.applies`), which reads a length-sorted batch faster
        than torch's packed GRU; elsewhere (the default install, a GPU,
        float64, ``SKCMIM_FUSED_GRU=0``) the packed GRU runs, as in skcmim
        0.1, so that saved models encode bit for bit as they did.  The two
        agree to float rounding.
        """
        gradients = torch.is_grad_enabled() and inputs.requires_grad
        if len(lengths) and not gradients and not gru_kernel_applies(inputs):
            return self._packed_final_states(inputs, lengths)
        rnn = self.encoder_rnn
        rows = torch.arange(inputs.shape[0], device=inputs.device)
        last = lengths - 1
        reverse = _reversal_index(lengths, inputs.shape[1])
        initial = inputs.new_zeros(inputs.shape[0], rnn.hidden_size)
        forward = backward = None  # the states of the layer below, from the second layer on
        for layer in range(rnn.num_layers):
            if layer:
                # a layer reads both directions' states at each position, as nn.GRU's stacked layers do
                inputs = F.dropout(
                    torch.cat([forward, _reordered(backward, reverse)], dim=-1), rnn.dropout, self.training
                )
            forward = _gru_direction(rnn, layer, "", inputs, initial)
            backward = _gru_direction(rnn, layer, "_reverse", _reordered(inputs, reverse), initial)
        return torch.cat([forward[rows, last], backward[rows, last]], dim=-1)

    def _packed_final_states(self, inputs, lengths):
        """:meth:`_final_states` from the bidirectional GRU over packed sequences (a non-empty batch)."""
        packed = nn.utils.rnn.pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
        hidden = self.encoder_rnn(packed)[1]  # (num_layers * 2, batch, hidden)
        return torch.cat([hidden[-2], hidden[-1]], dim=-1)

    def encode(self, x):
        """Posterior mean ``mu(x)``."""
        x, lengths = self._prepare(x)
        return self._encode(x, lengths)[0]


def _reversal_index(lengths, width):
    """Positions that reverse each row within its length and leave its padding in place (an involution)."""
    steps = torch.arange(width, device=lengths.device)
    return torch.where(steps < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - steps, steps)


def _reordered(sequences, index):
    """``sequences`` (batch, steps, features) with each row's steps taken in the order of its ``index`` row."""
    return sequences.gather(1, index.unsqueeze(-1).expand(-1, -1, sequences.shape[-1]))


def _gru_weights(rnn, layer, suffix=""):
    """``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` of one layer and direction of the GRU ``rnn``."""
    return [getattr(rnn, f"{name}_l{layer}{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


def _gru_direction(rnn, layer, suffix, inputs, initial):
    """States of one direction (``suffix`` "" or "_reverse") of one layer of the GRU ``rnn`` over ``inputs``."""
    return gru_layer(inputs, initial, _gru_weights(rnn, layer, suffix), training=rnn.training)[0]


class AugmentedSmilesEncoder(ContrastiveViews, SmilesEncoder):
    """The SMILES encoder trained on two random SMILES of each molecule
    (the InfoNCE baseline on molecules).

    The training input holds several token sequences per molecule, shape
    ``(batch, n_views, length)``: different random SMILES of the same
    molecule.  Each forward pass picks two different views per molecule and
    returns their codes (encoder means).  ``encode`` takes ordinary
    ``(batch, length)`` token ids.

    Parameters
    ----------
    projection_head : tuple of int or None, default=None
        Hidden widths of a projection head on the codes
        (:func:`projection_mlp`); ``encode`` stays before it.
    **kwargs
        Those of :class:`SmilesEncoder`.
    """

    def __init__(self, *args, projection_head=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.projection = projection_mlp(self.n_components, projection_head)

    def forward(self, x):
        """Projected codes ``(h1, h2)`` of two different random views of each molecule."""
        rows = torch.arange(x.shape[0], device=x.device)
        first = torch.randint(x.shape[1], (x.shape[0],), device=x.device)
        second = (first + torch.randint(1, x.shape[1], (x.shape[0],), device=x.device)) % x.shape[1]
        return self._project(self.encode(x[rows, first])), self._project(self.encode(x[rows, second]))


class SmilesEncoderDecoder(ReparameterisedCode, SmilesEncoder):
    """Sequence encoder-decoder for SMILES token ids, with a Gaussian latent.

    Same interface as :class:`EncoderDecoder` (``forward`` returns a
    :class:`~skcmim.losses.LatentOutput`, plus ``encode``, ``decode``,
    ``informative`` and ``informative_widths``), so the losses and the
    training engine work unchanged.  The input is a LongTensor of token ids of
    shape ``(batch, length)``: ``<bos>``, the tokens, ``<eos>``, then
    right-padding with ``pad_index`` (what
    :meth:`skcmim.molecules.SmilesTokenizer.encode` produces).

    * Encoder: :class:`SmilesEncoder` (token embedding, bidirectional GRU
      over the non-pad tokens, linear head to ``mu`` and ``log_sigma``).
    * Decoder: autoregressive GRU; ``z`` sets its initial hidden state
      (through a linear map and tanh) and is concatenated to every input
      embedding.  Teacher forcing: the inputs are the tokens shifted right
      (``<bos>`` first), the targets the tokens after ``<bos>``.
      ``log p(x | z)`` is the sum of the target tokens' log-probabilities
      over non-pad positions.

    Parameters
    ----------
    vocab_size : int
        Number of token ids, special tokens included.
    n_components : int
        Width of the code.
    max_length : int, default=128
        Default length (``<bos>`` and ``<eos>`` included) of generated
        sequences in :meth:`decode`; inputs may be of any width.
    embedding_dim : int, default=64
    hidden_size : int, default=256
        GRU width of the encoder (per direction) and of the decoder.
    num_layers : int, default=1
        Stacked GRU layers in the encoder and in the decoder.
    pad_index, bos_index, eos_index : int, default=0, 1, 2
        Ids of the special tokens.
    dropout : float, default=0.0
        Dropout between stacked GRU layers (used when ``num_layers > 1``).
    unk_index : int, default=3
        Id of the unknown token, which decoding never generates.
    """

    def __init__(
        self,
        vocab_size,
        n_components,
        max_length=128,
        embedding_dim=64,
        hidden_size=256,
        num_layers=1,
        pad_index=0,
        bos_index=1,
        eos_index=2,
        dropout=0.0,
        unk_index=3,
    ):
        if max_length < MIN_SEQUENCE_LENGTH:
            raise ValueError(f"max_length must be >= {MIN_SEQUENCE_LENGTH} (<bos>, a token, <eos>), got {max_length}.")
        super().__init__(vocab_size, n_components, embedding_dim, hidden_size, num_layers, pad_index, dropout)
        self.max_length = max_length
        self.bos_index = bos_index
        self.eos_index = eos_index
        self.unk_index = unk_index
        dropout = dropout if num_layers > 1 else 0.0
        self.decoder_embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        self.decoder_init = nn.Linear(n_components, num_layers * hidden_size)
        self.decoder_rnn = nn.GRU(
            embedding_dim + n_components, hidden_size, num_layers, batch_first=True, dropout=dropout
        )
        self.decoder_out = nn.Linear(hidden_size, vocab_size)

    # -- decoder helpers ---------------------------------------------------

    def _initial_hidden(self, z):
        hidden = torch.tanh(self.decoder_init(z))
        return hidden.view(z.shape[0], self.num_layers, self.hidden_size).transpose(0, 1).contiguous()

    def _decoder_step_inputs(self, tokens, z):
        embedded = self.decoder_embedding(tokens)  # (batch, steps, embedding_dim)
        return torch.cat([embedded, z.unsqueeze(1).expand(-1, embedded.shape[1], -1)], dim=-1)

    def _teacher_forced(self, x, z):
        """Last decoder layer's states at every input position, and the targets.

        The layers run one at a time (as ``decoder_rnn`` runs them, dropout
        between them), so that training takes the fused GRU kernel of
        :mod:`skcmim.gru` where it applies.
        """
        inputs, targets = x[:, :-1], x[:, 1:]
        rnn = self.decoder_rnn
        states, initial = self._decoder_step_inputs(inputs, z), self._initial_hidden(z)
        for layer in range(rnn.num_layers):
            if layer:
                states = F.dropout(states, rnn.dropout, self.training)
            states = gru_layer(states, initial[layer], _gru_weights(rnn, layer), training=rnn.training)[0]
        return states, targets

    def _log_likelihood(self, states, targets):
        logits = self.decoder_out(states)  # (batch, steps, vocab)
        nll = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=self.pad_index, reduction="none")
        return -nll.sum(dim=-1)

    # -- interface of EncoderDecoder ----------------------------------------

    def forward(self, x, sample=True):
        """Encode, pick a code (a sample, or the mean) and score the decoder.

        Parameters
        ----------
        x : LongTensor of shape (batch, length)
        sample : bool, default=True

        Returns
        -------
        LatentOutput
        """
        x, lengths = self._prepare(x)
        mu, log_sigma = self._encode(x, lengths)
        z = self.sample_code(mu, log_sigma) if sample else mu
        states, targets = self._teacher_forced(x, z)
        n_tokens = (targets != self.pad_index).sum(-1)
        return LatentOutput(mu, log_sigma, z, self._log_likelihood(states, targets), n_tokens)

    def informative(self, x, layers=None):
        """``mu(x)`` concatenated with the decoder's mean state at ``z = mu(x)``.

        The decoder is teacher-forced on the tokens of ``x`` with the mean
        code; its last layer's hidden states are averaged over the non-pad
        positions.

        Parameters
        ----------
        x : LongTensor of shape (batch, length)
        layers : sequence of int or None
            Indices into :meth:`informative_widths` (only ``0`` exists); all
            when None.
        """
        x, lengths = self._prepare(x)
        mu = self._encode(x, lengths)[0]
        states, targets = self._teacher_forced(x, mu)
        mask = (targets != self.pad_index).unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        read_out = [pooled]
        if layers is not None:
            read_out = [read_out[i] for i in layers]
        return torch.cat([mu, *read_out], dim=-1)

    def informative_widths(self):
        """Width of the informative read-out: the decoder's hidden size."""
        return [self.hidden_size]

    @torch.no_grad()
    def decode(self, z, max_length=None, temperature=0.0, generator=None):
        """Generate token ids from codes.

        Parameters
        ----------
        z : Tensor of shape (batch, n_components)
        max_length : int or None, default=None
            Output width, ``<bos>`` and ``<eos>`` included (``self.max_length``
            when None).
        temperature : float, default=0.0
            0 decodes greedily; a positive value samples from the softmax of
            the logits divided by it.
        generator : torch.Generator or None
            Random generator of the sampling (any device).

        Returns
        -------
        LongTensor of shape (batch, max_length)
            ``<bos>``, the generated tokens, ``<eos>``, then padding; a row
            without ``<eos>`` reached ``max_length``.  ``<pad>``, ``<bos>`` and
            ``<unk>`` are never generated.
        """
        max_length = self.max_length if max_length is None else int(max_length)
        if max_length < 2:
            raise ValueError(f"max_length must be >= 2, got {max_length}.")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}.")
        z = z.to(self.decoder_init.weight.dtype)
        batch = z.shape[0]
        ids = torch.full((batch, max_length), self.pad_index, dtype=torch.long, device=z.device)
        ids[:, 0] = self.bos_index
        hidden = self._initial_hidden(z)
        token = ids[:, :1]
        finished = torch.zeros(batch, dtype=torch.bool, device=z.device)
        for step in range(1, max_length):
            states, hidden = self.decoder_rnn(self._decoder_step_inputs(token, z), hidden)
            logits = self.decoder_out(states[:, -1]).float()
            logits[:, [self.pad_index, self.bos_index, self.unk_index]] = float("-inf")
            if temperature == 0:
                next_token = logits.argmax(dim=-1)
            else:
                probs = torch.softmax(logits / temperature, dim=-1)
                if generator is not None and generator.device != probs.device:
                    probs = probs.to(generator.device)
                next_token = torch.multinomial(probs, 1, generator=generator).squeeze(1).to(z.device)
            next_token = next_token.masked_fill(finished, self.pad_index)
            ids[:, step] = next_token
            finished |= next_token == self.eos_index
            if bool(finished.all()):
                break
            token = next_token.unsqueeze(1)
        return ids
