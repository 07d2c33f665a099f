"""Documentation of the estimators' parameters and fitted attributes.

One description per parameter, shared by every estimator that takes it, so
the classes cannot drift apart.  The estimator classes carry static
docstrings (an IDE shows them); :func:`compose_docstring` builds the text
they must hold, ``tests/test_docstrings.py`` checks that they do, and
``python -m skcmim._docstrings`` prints the docstrings to paste after a change.
"""

import inspect
import re
import textwrap

__all__ = ["ATTRIBUTE_DOCS", "PARAMETER_DOCS", "expected_docstring"]

# One description per parameter; each class's docstring lists its own
# parameters in signature order, so the docs cannot drift from the code.
PARAMETER_DOCS = {
    "n_components": ("int, default=16", "Width of the code (the latent space)."),
    "hidden_layer_sizes": ('"auto" or tuple of int, default="auto"',
                           "Hidden widths.  Numeric data: the MLP encoder's layers (the decoder mirrors them); "
                           '``"auto"`` is (512, 512).  SMILES: stacked GRU layers of one width in the encoder '
                           'and the decoder; ``"auto"`` is (256,).'),
    "likelihood": ('{"auto", "bernoulli", "gaussian", "categorical"}, default="auto"',
                   'Decoder likelihood.  ``"auto"`` picks Bernoulli when all of X lies in [0, 1] (images '
                   "scaled to [0, 1]), Gaussian for other numeric data and categorical (over tokens) for "
                   "SMILES.  Gaussian models standardise the features internally (``mean_``, ``scale_``) "
                   "and learn one noise scale per feature."),
    "input_kind": ('{"auto", "numeric", "smiles"}, default="auto"',
                   'What X holds.  ``"auto"`` treats a list, 1-D array, pandas Series or one-column '
                   "DataFrame of strings or RDKit ``Mol`` objects as molecules, anything else as a numeric "
                   "matrix."),
    "max_length": ("int or None, default=None",
                   "SMILES only: the longest token sequence (``<bos>`` and ``<eos>`` included) to train on "
                   "and to generate, at most ``skcmim.molecules.MAX_SMILES_LENGTH + 2`` (5,002).  None: the "
                   "longest training SMILES.  Longer training SMILES are an "
                   "error; ``transform`` encodes SMILES of any length (nothing is ever truncated)."),
    "canonical": ("bool, default=True",
                  "SMILES only: canonicalise every molecule with RDKit first, so that different SMILES of "
                  "one molecule get one code."),
    "isomeric": ("bool, default=True",
                 "SMILES only: keep stereochemistry and isotopes (RDKit's ``isomericSmiles``).  False writes "
                 "every molecule without them, in ``fit`` and in ``transform``: a model trained on molecules "
                 "without stereochemistry (such as MOSES ZINC, and the pretrained models, which set it False) "
                 "has no tokens for it, and would read a stereocentre such as ``[C@@H]`` as an unknown token "
                 "instead of a carbon."),
    "on_invalid": ('{"raise", "nan"}, default="raise"',
                   "SMILES only: what an invalid SMILES, an empty string or a missing value does.  "
                   '``"raise"``: a ``ValueError`` naming the row and the string.  ``"nan"``: ``fit`` '
                   "leaves the row out (with a warning) and ``transform``/``score_samples`` give it a "
                   "NaN row, so rows stay aligned with y."),
    "alphabet": ('{"smiles", "selfies"}, default="smiles"',
                 "SMILES only: the token alphabet the network reads and writes.  ``\"selfies\"`` writes each "
                 "(canonical) molecule as SELFIES and learns a vocabulary of SELFIES symbols, so that every "
                 "generated sequence is a valid molecule; ``inverse_transform`` and ``sample`` still return "
                 "canonical SMILES (None for a sequence without atoms), and a molecule SELFIES cannot write is "
                 "an invalid row (see ``on_invalid``).  ``max_length`` counts tokens of this alphabet."),
    "n_jobs": ("int or None, default=None",
               "SMILES only: processes that parse and canonicalise molecules with RDKit (and write their "
               "SELFIES) in ``fit``, ``transform`` and ``score`` (joblib's convention: None is 1, -1 all cores). "
               " The output is the same for any value.  Inputs under 2,048 molecules stay in this process; "
               "larger ones gain, as a worker starts in about half a second."),
    "max_epochs": ("int, default=50", "Passes over the training data."),
    "batch_size": ("int, default=128", "Samples per optimiser step."),
    "learning_rate": ("float, default=1e-3", "Adam learning rate."),
    "informative": ("bool, default=False",
                    "If True, ``transform`` returns informative embeddings: the code ``mu(x)`` followed by "
                    "the decoder's hidden activations at ``mu(x)``.  It can be switched with ``set_params`` "
                    "after fitting; no retraining."),
    "informative_layers": ('"all" or tuple of int, default="all"',
                           "Which decoder hidden layers (0 = nearest the code) the informative embeddings "
                           "include."),
    "early_stopping": ("bool, default=False",
                       "Hold out ``validation_fraction`` of the training data and stop when its loss has not "
                       "improved by ``tol`` for ``n_iter_no_change`` epochs; the best weights are restored."),
    "validation_fraction": ("float, default=0.1", "Share of the training data held out for early stopping."),
    "n_iter_no_change": ("int, default=10", "Patience of early stopping, in epochs."),
    "tol": ("float, default=1e-4", "Minimum improvement of the validation loss that resets the patience."),
    "warm_start": ("bool, default=False",
                   "If True, ``fit`` on a fitted model continues training from its weights (``max_epochs`` "
                   "more epochs) instead of starting anew."),
    "device": ('str or torch.device, default="auto"',
               'Where to train and encode.  ``"auto"`` uses CUDA when available and the CPU otherwise.'),
    "mixed_precision": ("bool, default=False",
                        "Run the training forward pass under bfloat16 autocast (useful on recent GPUs)."),
    "callbacks": ("list of skorch callbacks or (name, callback) tuples, default=None",
                  "Extra :mod:`skorch.callbacks` for the training loop, e.g. ``LRScheduler`` or "
                  "``Checkpoint``.  They are copied at ``fit``; the trained ones are in "
                  "``net_.callbacks_``."),
    "random_state": ("int, RandomState instance or None, default=None",
                     "Seeds weight initialisation, shuffling and sampling.  The same value gives the same "
                     "embeddings on CPU; the global torch RNG is left as it was."),
    "verbose": ("int, default=0",
                "0: silent.  1: a progress bar of the batches of each epoch (streamed fits too).  2 and more: "
                "also skorch's table of per-epoch losses and times."),
    "contrastive_weight": ("float, default=10.0",
                           "Weight ``w_c`` of the contrastive term.  The default was chosen on a validation "
                           "split of the MNIST-5k training half (``benchmarks/tuning.py``)."),
    "contrastive_temperature": ("float, default=0.1",
                                "Temperature ``tau`` of the contrastive term's cosine-similarity softmax."),
    "latent_scale": ('{"none", "per_dimension"}, default="none"',
                     '``"per_dimension"`` divides the gradient of the latent terms (``log q(z|x)`` and '
                     "``log P(z)``: the A-MIM term ``(log q + log P) / 2``, the VAE's KL) by "
                     "``n_components`` and leaves the loss value unchanged, as NVIDIA's published cMIM code "
                     "does (``normalize_gradient=True`` in ``compute_cmim_loss`` of KERMT, "
                     "github.com/NVIDIA-Digital-Bio/KERMT).  It weakens the pull of the latent terms against "
                     "a reconstruction summed over many features."),
    "reconstruction": ('{"sum", "mean"}, default="sum"',
                       '``"mean"`` averages ``log p(x|z)`` over the features (numeric data) or over the '
                       "non-pad tokens (SMILES) instead of summing it, so the reconstruction no longer "
                       "outweighs the latent and contrastive terms by the number of features.  "
                       "``score`` always reports the summed objective."),
    "contrastive_on": ('{"z", "mu"}, default="z"',
                       "The codes whose cosine similarities make the contrastive term: the sampled code "
                       "``z`` or the posterior mean ``mu``."),
    "kl_warmup_epochs": ("int, default=0",
                         "Epochs over which the weight of the KL term rises linearly from 0 to 1 (epoch "
                         "``k`` uses ``min(1, (k - 1) / kl_warmup_epochs)``, recorded as ``kl_weight`` in "
                         "``history_``; a continued fit continues the ramp).  0: no warm-up.  Validation "
                         "losses use the full weight."),
    "free_bits": ("float, default=0.0",
                  "Free bits (Kingma et al., 2016): each code dimension's KL, averaged over the batch, "
                  "counts as at least this many nats, so the KL term is ``sum_d max(free_bits, "
                  "mean_i KL_id)`` and the encoder gains nothing by collapsing a dimension below it.  "
                  "0: the plain KL."),
    "temperature": ('float or "deprecated", default="deprecated"',
                    "Deprecated name of ``contrastive_temperature`` (renamed in 0.2, removed in 0.3); when set, it "
                    "is used, with a ``FutureWarning``."),
}

ATTRIBUTE_DOCS = {
    "likelihood_": ("str", 'Resolved likelihood: ``"bernoulli"``, ``"gaussian"`` or (SMILES) ``"categorical"``.'),
    "mean_": ("ndarray of shape (n_features,)", "Feature means removed before the network."),
    "scale_": ("ndarray of shape (n_features,)", "Feature scales divided out before the network."),
    "input_kind_": ("str", '``"numeric"`` or ``"smiles"``: the kind of data the model was fitted on.'),
    "tokenizer_": ("SmilesTokenizer", "SMILES models: the tokenizer and its vocabulary learnt in ``fit``."),
    "max_length_": ("int", "SMILES models: the longest sequence generated by ``inverse_transform``/``sample``."),
    "net_": ("skorch.NeuralNet", "The training engine, with the trained module (``net_.module_``)."),
    "history_": ("skorch.History",
                 'Per-epoch losses (``history_[:, "train_loss"]``) and the mean per sample of each term '
                 "of the objective, unweighted: ``train_reconstruction`` (``-log p(x|z)``, as trained), "
                 "``train_latent`` (MIM: ``-(log q(z|x) + log P(z)) / 2``) or ``train_kl`` (VAE: "
                 "``log q(z|x) - log P(z)``), ``train_contrastive`` (``-log p(k=1|z,x)``, contrastive "
                 "models), and the same ``valid_*`` with early stopping.  "
                 ":func:`skcmim.plotting.plot_history` plots them."),
    "n_iter_": ("int", "Number of epochs run."),
    "n_features_in_": ("int", "Number of features seen during fit."),
    "feature_names_in_": ("ndarray of shape (n_features,)",
                          "Names of features seen during fit, when X has string column names."),
}


# The views and projection head of the InfoNCE estimators (with and without a decoder).
_VIEW_PARAMETER_DOCS = {
    "contrastive_temperature": ("float, default=0.1", "Temperature of the NT-Xent softmax."),
    "noise_std": ("float, default=0.5",
                  'Standard deviation of the ``"noise"`` views\' Gaussian noise, in units of the network input '
                  "(standardised features, or values in [0, 1] for a Bernoulli decoder)."),
    "feature_dropout": ("float, default=0.2", 'Probability of zeroing a feature in a ``"noise"`` view.'),
    "augmentation": ('{"noise", "scarf", "shift"} or tuple of them, default="noise"',
                     'How the two views of a sample are drawn; a tuple applies several in its order.  '
                     '``"noise"``: Gaussian noise of ``noise_std``, then ``feature_dropout``.  ``"scarf"`` '
                     "(SCARF, Bahri et al. 2022): in each row a share ``corruption_rate`` of the features, "
                     "drawn at random, takes the value of the same feature in another random row of the "
                     'batch.  ``"shift"``: images (``image_shape``) translated by up to ``max_shift`` pixels '
                     "along each axis, with zero padding.  Numeric data only (molecules' views are random "
                     "SMILES)."),
    "corruption_rate": ("float, default=0.6", 'Share of the features of each row replaced in a ``"scarf"`` view.'),
    "image_shape": ("tuple of int or None, default=None",
                    '``(height, width)`` of each row as a row-major image; required with ``"shift"``, and '
                    "``height * width`` must be the number of features."),
    "max_shift": ("int, default=2", 'Largest translation of a ``"shift"`` view, in pixels, along each axis.'),
    "projection_head": ("tuple of int or None, default=None",
                        "Hidden widths of a projection head (SimCLR): an MLP with ReLUs from the code to a "
                        "projection of width ``n_components``, on which NT-Xent is computed.  ``transform`` "
                        "returns the code before the head.  None: NT-Xent on the code itself."),
}

# Where a class describes a parameter differently, or lists other attributes.
_CHOSEN = ("Chosen for cMIM on a validation split of the MNIST-5k training half (``benchmarks/tuning.py``, "
           "record in ``benchmarks/results/tuning.md``).")
CLASS_PARAMETER_DOCS = {
    "CMIMTransformer": {
        "latent_scale": ('{"none", "per_dimension"}, default="per_dimension"',
                         PARAMETER_DOCS["latent_scale"][1] + "  " + _CHOSEN),
        "contrastive_on": ('{"z", "mu"}, default="mu"',
                           PARAMETER_DOCS["contrastive_on"][1] + "  " + _CHOSEN + "  On ``mu`` the term "
                           "shapes the posterior means, which ``transform`` returns."),
    },
    "InfoNCEAETransformer": {
        **_VIEW_PARAMETER_DOCS,
        "reconstruction_weight": ("float, default=1.0",
                                  "Weight of the reconstruction term ``-log p(x | mu(x))`` (summed over features) "
                                  "against the NT-Xent term."),
    },
    "InfoNCETransformer": {
        **_VIEW_PARAMETER_DOCS,
        "hidden_layer_sizes": ('"auto" or tuple of int, default="auto"',
                               'Hidden widths of the encoder: the MLP for numeric data (``"auto"`` is '
                               '(512, 512)), stacked GRU layers of one width for SMILES (``"auto"`` is (256,)).'),
        "n_views": ("int, default=4",
                    "SMILES only: random SMILES drawn per molecule when fitting (by RDKit, from "
                    "``random_state``); every batch contrasts two different ones of them."),
    },
}
CLASS_ATTRIBUTE_DOCS = {
    "InfoNCETransformer": {"history_": ("skorch.History", 'Per-epoch losses (``history_[:, "train_loss"]``).')},
}
CLASS_ATTRIBUTES = {
    "InfoNCEAETransformer": ["likelihood_", "mean_", "scale_", "input_kind_", "net_", "history_", "n_iter_",
                             "n_features_in_", "feature_names_in_"],
    "InfoNCETransformer": ["input_kind_", "mean_", "scale_", "tokenizer_", "max_length_", "net_", "history_",
                           "n_iter_", "n_features_in_", "feature_names_in_"],
}

_SECTION_AFTER_ATTRIBUTES = re.compile(r"\n\n    (See Also|Notes|References|Examples)\n    -+\n")


def _section(title, entries):
    lines = [f"    {title}", "    " + "-" * len(title)]
    for name, (kind, text) in entries:
        lines.append(f"    {name} : {kind}")
        lines.extend(textwrap.wrap(text, 76, initial_indent=" " * 8, subsequent_indent=" " * 8))
    return "\n".join(lines) + "\n"


def expected_docstring(cls):
    """``cls.__doc__`` with its Parameters and Attributes sections made from the tables above.

    The introduction before the Parameters section and the sections after
    Attributes (See Also, Examples...) are kept as written.
    """
    doc = cls.__doc__
    intro = doc[: doc.index("\n\n    Parameters\n")]
    tail = doc[_SECTION_AFTER_ATTRIBUTES.search(doc).start() + 1 :]
    param_docs = {**PARAMETER_DOCS, **CLASS_PARAMETER_DOCS.get(cls.__name__, {})}
    names = [n for n in inspect.signature(cls.__init__).parameters if n != "self"]
    attributes = CLASS_ATTRIBUTES.get(cls.__name__, list(ATTRIBUTE_DOCS))
    attribute_docs = {**ATTRIBUTE_DOCS, **CLASS_ATTRIBUTE_DOCS.get(cls.__name__, {})}
    return (
        intro + "\n\n"
        + _section("Parameters", [(n, param_docs[n]) for n in names]) + "\n"
        + _section("Attributes", [(a, attribute_docs[a]) for a in attributes])
        + tail
    )


def _public_estimators():
    from .baselines import CVAETransformer, InfoNCEAETransformer, InfoNCETransformer, VAETransformer
    from .estimators import CMIMTransformer, MIMTransformer

    return [MIMTransformer, CMIMTransformer, VAETransformer, CVAETransformer, InfoNCETransformer,
            InfoNCEAETransformer]


def write_docstrings():
    """Rewrite the estimators' docstrings in their source files to :func:`expected_docstring`."""
    for cls in _public_estimators():
        path = inspect.getsourcefile(cls)
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(source.replace(cls.__doc__, expected_docstring(cls), 1))


if __name__ == "__main__":  # python -m skcmim._docstrings: after editing a table above
    write_docstrings()
