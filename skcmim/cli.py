"""The ``skcmim`` command line: ``embed``, ``models`` and ``demo``.

``skcmim`` (the console script) and ``python -m skcmim`` run :func:`main`;
without a command it prints its help.  Parsing the command line imports
nothing heavy (torch, scikit-learn and the estimators load inside the
command that needs them), so ``--help`` and ``--version`` answer at once.

* ``skcmim embed molecules.csv --model cmim-zinc-v2 -o embeddings.csv`` reads
  a CSV (or ``.smi``) file, optionally gzip'd, and writes one row per input
  molecule, in input order: the input's columns (all, or those named by
  ``--keep-columns``), then the embedding columns (named like the
  estimator's ``get_feature_names_out``).  A row that is not a valid
  molecule is reported on stderr with its line number and gets an all-NaN
  embedding row, so the output stays aligned with the input.  The output is
  written under a temporary name and renamed once complete: a failure or an
  interrupt leaves no file under the output's name and an existing one
  unchanged, and an output that is the input is refused.
* ``skcmim models`` lists the pretrained models (their model cards).
* ``skcmim build-kernel`` compiles skcmim's fused GRU kernel for this
  environment (:func:`skcmim.gru.build_kernel`), an optional step that makes
  SMILES models faster on the CPU; without it they run on torch's GRU.
* ``skcmim demo`` trains MIM and cMIM on a small embedded dataset
  (scikit-learn's digits by default), prints the held-out accuracy of a
  logistic regression on PCA of the same width, MIM, cMIM and cMIM's
  informative embeddings, and writes a PNG of the codes' 2-D projection
  coloured by class.

Every failure exits with a non-zero status and one line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

from ._version import __version__

# The command line is the interface; nothing here is API to import.
__all__: list[str] = []

DESCRIPTION = (
    "Mutual Information Machine (MIM and cMIM) representation learning for scikit-learn. Run a command; "
    "'skcmim COMMAND --help' describes it."
)
EMBED_DESCRIPTION = """\
Embed molecules with a pretrained (or saved) model.

Input: a CSV or .smi file, optionally gzip'd (.gz). The first non-blank line decides the layout. A header with a \
SMILES column (named smiles, canonical_smiles, isomeric_smiles, smi, can_smiles, iso_smiles, smiles_string or \
connectivity_smiles, in any case, with or without '_'; a plain 'smiles' column first), or the column named by \
--smiles-column, is a header. A file ending in .smi has no header (unless its first word is 'smiles'): the first \
field of each line is the SMILES, and any name after a blank stays with it. Any other file without such a header \
must start with a molecule (then the first field of each line is the SMILES); a header without a recognisable \
SMILES column is an error that lists its columns. Blank lines are skipped; a line over 1 MiB, more than 100,000 \
blank lines in a row, or a .gz file that expands more than 100-fold is refused.

Output: a CSV (gzip'd if its name ends in .gz) with one row per input molecule, in input order: the input's columns \
in input order (all by default, or the SMILES column and those named by --keep-columns; without a header they are \
named smiles, column_2, column_3, ...), then the embedding columns. A row that is not a valid molecule is reported \
on stderr with its line number and gets an all-NaN embedding row (never dropped). Copied text is neutralised for \
spreadsheets: a cell (header or value, the SMILES column included) that begins with =, +, -, @, a tab or a carriage \
return gets a leading apostrophe ('), as OWASP advises against formula injection, unless it is a plain number such \
as -0.77. No valid SMILES begins with these characters, so a SMILES changed this way is already an invalid (NaN) \
row. The output is written under a temporary name beside it and renamed once complete: a failure or an interrupt \
(Ctrl-C, SIGTERM) leaves no file under the output's name and an existing one unchanged; an output that is the input \
file is refused. A progress bar is shown on a terminal."""
MODELS_DESCRIPTION = "List the pretrained models (their model cards) that 'skcmim embed --model' accepts."
BUILD_KERNEL_DESCRIPTION = (
    "Compile skcmim's fused GRU kernel for this environment (needs GCC or Clang and ninja; about half a minute). "
    "SMILES models then train and embed faster on the CPU, from the next process on; without it they use torch's "
    "GRU. The build goes into a cache folder of skcmim's own ($SKCMIM_KERNEL_DIR, else ~/.cache/skcmim/gru-kernel), "
    "one file per environment; nothing is ever compiled without this command."
)
DEMO_DESCRIPTION = (
    "Train MIM and cMIM on a small embedded dataset (scikit-learn's digits by default), print the held-out "
    "accuracy of a logistic regression on PCA of the same width, on MIM, on cMIM and on cMIM's informative "
    "embeddings, and write a PNG of the cMIM codes projected to 2-D and coloured by class."
)
#: Rows embedded per call of ``transform`` (and per step of the progress bar).
DEFAULT_BATCH_SIZE = 4096
#: The datasets of ``skcmim demo``: their loaders in :mod:`skcmim.datasets`.
DEMO_DATASETS = {"digits": "load_digits_unit", "mnist5k": "load_mnist_5k"}

# OWASP's CSV injection rule: a cell starting with one of these is a formula to a spreadsheet
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# Errors of the user's input or environment: one line, no traceback
_USER_ERRORS = (OSError, ValueError, ImportError)


def main(argv=None):
    """Run the ``skcmim`` command line; the exit status.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        0 on success, 1 after an error (reported on stderr in one line),
        130 or 143 after an interrupt (Ctrl-C, SIGTERM).  ``--help`` and
        ``--version`` exit through ``SystemExit(0)``, as argparse does.
    """
    parser = build_parser(_program_name(sys.argv[0]))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.run(args)


def _program_name(argv0):
    """The name the user typed: ``python -m skcmim`` or the console script's name.

    ``python -m`` puts the path of ``__main__.py`` in ``sys.argv[0]``, which
    argparse would otherwise print as the program name.
    """
    if os.path.basename(argv0 or "") == "__main__.py":
        return "python -m skcmim"
    return "skcmim"


def build_parser(prog="skcmim"):
    """The parser of ``skcmim``: its commands, each with ``run`` (a function of the parsed arguments).

    Parameters
    ----------
    prog : str, default="skcmim"
        The program's name in usage lines.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    _add_embed(commands)
    models = commands.add_parser("models", help="list the pretrained models", description=MODELS_DESCRIPTION)
    models.add_argument("--json", action="store_true", help="print the full model cards as JSON")
    models.set_defaults(run=run_models)
    _add_demo(commands)
    kernel = commands.add_parser(
        "build-kernel",
        help="compile the fused GRU kernel (optional, faster SMILES models)",
        description=BUILD_KERNEL_DESCRIPTION,
    )
    kernel.add_argument("--force", action="store_true", help="build again even if this environment has a build")
    kernel.add_argument("--quiet", action="store_true", help="print only the result")
    kernel.set_defaults(run=run_build_kernel)
    return parser


def _add_embed(commands):
    embed = commands.add_parser(
        "embed",
        help="embed the molecules of a CSV or .smi file",
        description=EMBED_DESCRIPTION,
        formatter_class=_ParagraphsFormatter,
    )
    embed.add_argument("input", help="CSV or .smi file of molecules (may end in .gz)")
    embed.add_argument(
        "--model",
        default="cmim-zinc-v2",
        help="a pretrained model's name (see 'skcmim models'), or the path of a model file written "
        "by estimator.save: a path holds a '/' or ends in .safetensors (./name for a file here) "
        "(default: %(default)s)",
    )
    embed.add_argument(
        "-o", "--output", required=True, help="the CSV file to write (gzip'd if it ends in .gz); never the input"
    )
    embed.add_argument(
        "--smiles-column",
        default=None,
        metavar="NAME",
        help="header of the SMILES column, any case (default: a recognised SMILES header, or the "
        "first field of a file without a header)",
    )
    embed.add_argument(
        "--keep-columns",
        default=None,
        type=_column_names,
        metavar="A,B",
        help="input columns to copy to the output besides the SMILES column, comma-separated, '' "
        "for none (default: every input column)",
    )
    embed.add_argument(
        "--informative",
        action="store_true",
        help="informative embeddings: the code followed by the decoder's hidden states",
    )
    embed.add_argument(
        "--batch-size",
        type=_positive_int,
        default=DEFAULT_BATCH_SIZE,
        help="molecules embedded per step (default: %(default)s)",
    )
    embed.add_argument("--device", default="cpu", help="'cpu', 'cuda' or 'auto' (default: %(default)s)")
    embed.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="processes that read the molecules (RDKit, SELFIES) of each step of 2,048 or more; -1: "
        "every core (default: this process only)",
    )
    embed.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    embed.set_defaults(run=run_embed)


def _add_demo(commands):
    demo = commands.add_parser(
        "demo",
        description=DEMO_DESCRIPTION,
        help="train MIM and cMIM on digits and compare them with PCA (--data, --n-components, --seed, --output)",
    )
    demo.add_argument(
        "--data", choices=sorted(DEMO_DATASETS), default="digits", help="dataset to train on (default: %(default)s)"
    )
    demo.add_argument(
        "--n-components", type=int, default=16, help="width of the codes and of the PCA baseline (default: %(default)s)"
    )
    demo.add_argument("--seed", type=int, default=0, help="seed of the split and of the models (default: %(default)s)")
    demo.add_argument(
        "--output", default="skcmim_codes.png", help="where to write the PNG of the 2-D code map (default: %(default)s)"
    )
    demo.set_defaults(run=run_demo)


class _ParagraphsFormatter(argparse.HelpFormatter):
    """Wraps each paragraph (lines separated by a blank line) of a description on its own."""

    def _fill_text(self, text, width, indent):
        return "\n\n".join(
            super(_ParagraphsFormatter, self)._fill_text(paragraph, width, indent) for paragraph in text.split("\n\n")
        )


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _column_names(text):
    return [name.strip() for name in text.split(",") if name.strip()]


def _error(command, exc):
    """Report ``exc`` on stderr in one line; the exit status 1."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    print(f"skcmim {command}: error: {message}", file=sys.stderr)
    return 1


# ---------------------------------------------------------------------- embed
class _Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that the output's temporary file is removed."""


@contextlib.contextmanager
def _sigterm_raises():
    """For the ``with`` block, SIGTERM raises :class:`_Terminated`; the previous handler is restored after."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return

    def terminate(signum, frame):
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def run_embed(args):
    """``skcmim embed``: the exit status (0; 1 with a message on stderr; 130 or 143 when interrupted)."""
    with _sigterm_raises():
        try:
            return _embed(args)
        except KeyboardInterrupt:
            return _interrupted(args, "interrupted", 128 + signal.SIGINT)
        except _Terminated:
            return _interrupted(args, "terminated (SIGTERM)", 128 + signal.SIGTERM)
        except _USER_ERRORS as exc:
            return _error("embed", exc)


def _interrupted(args, what, status):
    print(f"skcmim embed: {what}; nothing was written to {args.output}.", file=sys.stderr)
    return status


def _embed(args):
    source = _input_file(args.input)
    target = _output_file(args.output, source)
    with _opened_table(source, args) as table:
        layout = _Layout.of(table, args.keep_columns, source)
    model = _configured(*_load_model(args.model, args.device), args)
    features = list(model.get_feature_names_out())
    layout.check_names(features)
    with _output_writer(target) as writer, _progress(layout.n_rows, not args.no_progress) as bar:
        writer.writerow([*layout.header, *features])
        with _opened_table(source, args) as table:
            invalid = _embed_rows(model, table, layout, args.batch_size, writer, bar)
    summary = f"; {len(invalid)} invalid (NaN rows, lines listed above)" if invalid else ""
    print(f"wrote {layout.n_rows} embeddings of width {len(features)} to {args.output}{summary}", file=sys.stderr)
    return 0


def _input_file(name):
    path = Path(name)
    if not path.exists():
        raise FileNotFoundError(f"There is no file {name}.")
    if not path.is_file():
        raise ValueError(f"{name} is not a regular file; skcmim embed reads CSV or .smi files.")
    return path


def _output_file(name, source):
    """The real path to write, checked before anything is opened for writing."""
    target = Path(os.path.realpath(name))
    if target == Path(os.path.realpath(source)) or (target.exists() and os.path.samefile(target, source)):
        raise ValueError(
            f"The output {name} is the input file {source}; writing it would destroy the input. "
            f"Choose another output name."
        )
    if target.exists() and not target.is_file():
        raise ValueError(f"The output {name} exists and is not a regular file (a folder, device or pipe).")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"There is no folder {target.parent} for the output {name}.")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise PermissionError(f"Cannot write in the folder {target.parent} of the output {name}.")
    return target


@contextlib.contextmanager
def _opened_table(source, args):
    from .streaming import open_smiles_table

    with open_smiles_table(source, args.smiles_column, advice="use --smiles-column NAME") as table:
        yield table


class _Layout:
    """Which input fields the output copies, under which header, and how many rows the input has."""

    def __init__(self, header, kept, n_rows):
        self.header = [_spreadsheet_safe(name) for name in header]
        self.kept = kept
        self.n_rows = n_rows

    @classmethod
    def of(cls, table, keep_columns, source):
        """The layout of ``table``, read to its end: every row is checked before a model loads."""
        n_rows = n_fields = 0
        width = None if table.header is None else len(table.header)
        for number, fields in table.rows():
            if width is not None and len(fields) > width:
                raise ValueError(
                    f"Line {number} of {source} has {len(fields)} fields, but its header has {width}; "
                    f"the extra fields would be lost."
                )
            n_rows, n_fields = n_rows + 1, max(n_fields, len(fields))
        names = (
            table.header
            if table.header is not None
            else ["smiles"] + [f"column_{index}" for index in range(2, n_fields + 1)]
        )
        kept = _kept_columns(names, table.column, keep_columns, source)
        return cls([names[index] for index in kept], kept, n_rows)

    def check_names(self, features):
        clash = sorted(set(self.header) & set(features))
        if clash:
            raise ValueError(
                f"The input column {clash[0]!r} has the name of an embedding column; leave it out with --keep-columns."
            )

    def cells(self, fields):
        """The output's copied cells of one row (missing trailing fields are empty)."""
        return [_spreadsheet_safe(fields[index]) if index < len(fields) else "" for index in self.kept]


def _kept_columns(names, smiles_index, keep_columns, source):
    """Indices of the input columns to copy: all, or the SMILES column and those named, in input order."""
    if keep_columns is None:
        return list(range(len(names)))
    lowered = [name.lower() for name in names]
    missing = [name for name in keep_columns if name.lower() not in lowered]
    if missing:
        raise ValueError(
            f"--keep-columns names {missing[0]!r}, but {source} has the columns {', '.join(map(repr, names))}."
        )
    wanted = {name.lower() for name in keep_columns}
    return [index for index, name in enumerate(lowered) if index == smiles_index or name in wanted]


def _spreadsheet_safe(text):
    """``text`` with a leading ``'`` if a spreadsheet would read it as a formula (OWASP), else unchanged."""
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _names_a_file(model):
    """Whether ``--model`` is given as a path (a separator, or a .safetensors name) rather than a name."""
    separators = {"/", os.sep, os.altsep} - {None}
    return any(separator in model for separator in separators) or model.endswith(".safetensors")


def _load_model(model, device):
    """``(estimator, label)``: a model file given as a path, else a pretrained model by registry name only."""
    from . import pretrained
    from .persistence import load

    if _names_a_file(model):
        if not Path(model).exists():
            raise FileNotFoundError(f"There is no model file {model}.")
        return load(model, device=device), model
    names = [card["name"] for card in pretrained.list_models()]
    if model not in names and Path(model).is_file():
        raise ValueError(
            f"There is no pretrained model named {model!r} (see 'skcmim models'); to use the file "
            f"{model} here, give it as a path: --model ./{model}"
        )
    return pretrained.load(model, device=device), model


def _configured(model, label, args):
    """``model`` set up to embed: NaN rows for invalid molecules, the informative embeddings asked for."""
    params = model.get_params(deep=False)
    if args.informative and "informative" not in params:
        raise ValueError(
            f"The model {label} ({type(model).__name__}) has no decoder: --informative does not apply. "
            f"Run without --informative."
        )
    settings = {"on_invalid": "nan", "informative": args.informative, "n_jobs": args.n_jobs}
    model.set_params(**{name: value for name, value in settings.items() if name in params})
    return model


@contextlib.contextmanager
def _output_writer(target):
    """A CSV writer whose rows reach ``target`` only when the ``with`` block ends normally."""
    import csv
    import gzip
    import io

    from .persistence import _replacing

    if target.suffix.lower() != ".gz":
        with _replacing(target, "w", encoding="utf-8", newline="") as out:
            yield csv.writer(out)
        return
    with (
        _replacing(target, "wb") as raw,
        gzip.GzipFile(filename=target.stem, mode="wb", fileobj=raw) as compressed,
        io.TextIOWrapper(compressed, encoding="utf-8", newline="") as out,
    ):
        yield csv.writer(out)


def _embed_rows(model, table, layout, batch_size, writer, bar):
    """Embed and write the rows of ``table`` batch by batch; the line numbers of the invalid ones."""
    import numpy as np

    invalid, rows, column = [], table.rows(), table.column
    while batch := list(itertools.islice(rows, batch_size)):
        texts = [fields[column].strip() for _, fields in batch]
        Z = model.transform(texts)
        for index in np.flatnonzero(~np.isfinite(Z).all(axis=1)):
            number = batch[index][0]
            invalid.append(number)
            print(f"line {number} {_why_invalid(texts[index])}; its embedding row is NaN.", file=sys.stderr)
        writer.writerows([*layout.cells(fields), *map(repr, row)] for (_, fields), row in zip(batch, Z.tolist()))
        bar.update(len(batch))
    return invalid


def _why_invalid(text):
    """The reason ``to_smiles`` gives for one invalid SMILES, without its row number."""
    from .molecules import to_smiles

    try:
        to_smiles([text])
    except ValueError as exc:
        message = str(exc)
        return message.split(". ")[0].removeprefix("Row 0 ")
    return f"holds {text!r}, which is not a valid molecule"


def _progress(total, enabled):
    """A tqdm progress bar on stderr (only on a terminal), or a stand-in that shows nothing."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # skorch installs tqdm, but a bar is not worth failing for
        return contextlib.nullcontext(_NoBar())
    return tqdm(total=total, unit="mol", disable=None if enabled else True, file=sys.stderr)


class _NoBar:
    def update(self, n):
        pass


# --------------------------------------------------------------------- models
def _headline(card):
    """One line per model: name, class, size, data, and the held-out metrics when measured."""
    data = card.get("training_data", {})
    metrics = card.get("metrics", {})
    shown = ", ".join(
        f"{key} {value:.3f}" for key, value in metrics.items() if isinstance(value, float) and math.isfinite(value)
    )
    size = card.get("size_bytes", 0) / 1e6
    return (
        f"{card['name']}: {card.get('estimator', '?')}, {size:.1f} MB, trained on "
        f"{data.get('n_molecules', '?')} molecules of {data.get('source', '?')} for {card.get('epochs', '?')} "
        f"epochs" + (f"; {shown}" if shown else "")
    )


def run_models(args):
    """``skcmim models``: print the model cards; the exit status."""
    from . import pretrained

    try:
        cards = pretrained.list_models()
    except _USER_ERRORS as exc:
        return _error("models", exc)
    if args.json:
        print(json.dumps(cards, indent=2))
    elif not cards:
        print(f"No pretrained models in {pretrained.get_models_dir()}.")
    else:
        print("\n".join(_headline(card) for card in cards))
    return 0


# ----------------------------------------------------------------------- demo
def run_build_kernel(args):
    """``skcmim build-kernel``: compile the fused GRU kernel; the exit status."""
    from . import gru

    try:
        path = gru.build_kernel(force=args.force, verbose=not args.quiet)
    except (gru.KernelBuildError, TimeoutError, OSError) as exc:
        print(f"skcmim build-kernel: error: {exc}", file=sys.stderr)
        return 1
    print(f"built {path}; SMILES models use it from the next process on (SKCMIM_FUSED_GRU=0 switches it off)")
    return 0


def run_demo(args):
    """``skcmim demo``: train MIM and cMIM, print the accuracy table, write the PNG; the exit status."""
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split

    from . import CMIMTransformer, MIMTransformer, datasets

    X, y = getattr(datasets, DEMO_DATASETS[args.data])()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=args.seed)
    print(
        f"skcmim {__version__}: {args.data}, {X.shape[0]} samples x {X.shape[1]} features, "
        f"50/50 stratified split, n_components={args.n_components}"
    )

    pca = PCA(args.n_components, random_state=args.seed).fit(X_train)
    rows = [(f"PCA-{args.n_components}", _probe(pca.transform(X_train), y_train, pca.transform(X_test), y_test), 0.0)]
    for name, Model in (("MIM", MIMTransformer), ("cMIM", CMIMTransformer)):
        start = time.perf_counter()
        model = Model(n_components=args.n_components, random_state=args.seed).fit(X_train)
        seconds = time.perf_counter() - start
        rows.append((name, _probe(model.transform(X_train), y_train, model.transform(X_test), y_test), seconds))
    model.set_params(informative=True)
    rows.append(
        ("cMIM informative", _probe(model.transform(X_train), y_train, model.transform(X_test), y_test), seconds)
    )
    model.set_params(informative=False)

    print(f"\n{'representation':<20} {'accuracy':>8} {'fit s':>7}")
    for name, accuracy, seconds in rows:
        print(f"{name:<20} {accuracy:>8.3f} {seconds:>7.1f}")
    _write_png(args.output, model.transform(X_test), y_test, f"cMIM codes of held-out {args.data} (PCA to 2-D)")
    return 0


def _probe(Z_train, y_train, Z_test, y_test):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return clf.fit(Z_train, y_train).score(Z_test, y_test)


def _write_png(path, codes, labels, title):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"(matplotlib is not installed: skipped {path}; pip install 'skcmim[plot]')")
        return
    from .plotting import plot_codes

    ax = plot_codes(codes, labels, title=title)
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=120)
    plt.close(ax.figure)
    print(f"wrote {path}")
