"""What every input kind provides: the contract between an estimator and its data.

An estimator decides the kind of its training data once, in ``fit``
(:func:`skcmim.inputs.make_input`), and from then on hands every data
question to that object, its fitted ``input_``: validation, the statistics
or vocabulary learnt from the training data, the network input of training
and inference batches, the network to build, decoding codes back to data,
and the fitted state written to model files.  The estimator itself never
asks which kind of data it holds.

To add an input kind (graphs, protein sequences, images for a convolutional
encoder), subclass :class:`DataInput` in a module of this package and
register it in :data:`skcmim.inputs.INPUT_KINDS`; see "Extending skcmim" in
the documentation.
"""

import numpy as np

__all__ = ["DataInput", "InferenceRows"]


class InferenceRows:
    """Network-input batches of the rows of X, and how to put outputs back.

    Parameters
    ----------
    batches : list of ndarray
        Network input, one array per forward pass.
    dtype : numpy dtype
        Dtype of the outputs (the module computes in float64 for float64).
    compute_dtype : numpy dtype or None
        Dtype the module computes in when it differs from ``dtype`` (SMILES:
        float32 for float64 outputs); None: as ``dtype`` says.
    n_rows : int
        Rows of X.
    valid : ndarray of bool of shape (n_rows,) or None
        Rows that have an output; the others get NaN.  None: every row.
    order : ndarray of int or None
        Position, among the valid rows, of each row of the concatenated
        batches (they may be sorted, e.g. by length).  None: in order.
    """

    def __init__(self, batches, dtype, n_rows, valid=None, order=None, compute_dtype=None):
        self.batches = batches
        self.dtype = np.dtype(dtype)
        self.compute_dtype = None if compute_dtype is None else np.dtype(compute_dtype)
        self.n_rows = n_rows
        self.valid = valid
        self.order = order

    def row_of(self, position):
        """The row of X whose output is ``outputs[position]`` (the batches' concatenation)."""
        if self.order is not None:
            position = int(self.order[position])
        return int(np.flatnonzero(self.valid)[position]) if self.valid is not None else position

    def assemble(self, outputs, width):
        """One output row per row of X, from the batches' concatenated ``outputs``.

        ``width`` is the number of output columns (None: one value per row),
        needed when no row is valid.
        """
        if self.valid is None and self.order is None:
            return outputs
        shape = (self.n_rows,) if width is None else (self.n_rows, width)
        out = np.full(shape, np.nan, dtype=self.dtype)
        if len(outputs):
            in_order = np.empty_like(outputs)
            in_order[self.order if self.order is not None else slice(None)] = outputs
            out[self.valid if self.valid is not None else slice(None)] = in_order
        return out


class DataInput:
    """Base class of the input kinds (numeric matrices, SMILES, ...).

    Subclasses implement the methods below; the estimator calls nothing
    else.  An input object is created unfitted by
    :func:`skcmim.inputs.make_input` and fitted by :meth:`setup` or
    :meth:`setup_stream`.

    Attributes
    ----------
    kind : str
        Name of the kind, stored as the estimator's ``input_kind_``.
    default_hidden : tuple of int
        ``hidden_layer_sizes="auto"`` for this kind.
    missing_codes : bool
        Whether ``transform`` can give NaN rows (invalid inputs), so that
        ``inverse_transform`` must accept NaN codes.
    fitted_attributes : tuple of str
        Public fitted attributes (``mean_``, ``tokenizer_``...) that the
        estimator shows as its own.
    """

    kind: str = ""
    default_hidden: tuple[int, ...] = ()
    missing_codes = False
    fitted_attributes: tuple[str, ...] = ()

    # -- training data -------------------------------------------------------
    def setup(self, X, estimator, seed):
        """Learn from the training data (first fit) and return its network input."""
        raise NotImplementedError

    def setup_stream(self, source, estimator, seed):
        """Learn from a pass over a chunk source (first fit of a streamed fit); return its number of rows."""
        raise NotImplementedError

    def training_input(self, X, estimator):
        """Network input of more training data for a fitted input (continued fits)."""
        raise NotImplementedError

    # -- inference -----------------------------------------------------------
    def inference_rows(self, X, estimator, *, scoring=False):
        """The rows of X as :class:`InferenceRows` for ``transform``, or with ``scoring`` for ``score``."""
        raise NotImplementedError

    def log_density_offset(self):
        """Added to the network's log-density to express it in the data's units."""
        return 0.0

    # -- network -------------------------------------------------------------
    def hidden_sizes(self, hidden_layer_sizes):
        """The hidden widths the network gets for the ``hidden_layer_sizes`` parameter."""
        sizes = self.default_hidden if isinstance(hidden_layer_sizes, str) else hidden_layer_sizes
        return check_hidden_layer_sizes(sizes)

    def module_spec(self, role, n_components, hidden_layer_sizes, **options):
        """``(module class, keyword arguments)`` of the network.

        ``role`` is ``"encoder_decoder"`` (MIM, cMIM, VAE, cVAE),
        ``"view_encoder"`` (InfoNCE: an encoder of augmented views; the
        augmentation ``options`` are the estimator's) or
        ``"view_encoder_decoder"`` (InfoNCE with a decoder).
        """
        raise NotImplementedError

    # -- decoding ------------------------------------------------------------
    def decode(self, Z, run_batches, *, sampling_temperature, random_state):
        """Data for codes ``Z``, with ``run_batches(batches, fn, dtype)`` running the decoder."""
        raise NotImplementedError

    # -- fitted state --------------------------------------------------------
    def fitted_state(self):
        """``(arrays, values)`` for a model file: named arrays and JSON-able values."""
        raise NotImplementedError

    @classmethod
    def from_fitted_state(cls, arrays, fitted, options):
        """The fitted input of a model file (the inverse of :meth:`fitted_state`)."""
        raise NotImplementedError


def check_hidden_layer_sizes(sizes):
    """``sizes`` as a tuple of positive ints, or a clear ValueError."""
    from numbers import Integral

    sizes = tuple(sizes)
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be positive integers, got {sizes!r}.")
    return tuple(int(s) for s in sizes)
