"""The ``skcmim`` commands: ``embed`` (molecules to embeddings) and ``models``.

``skcmim`` without a command runs the main job of ``python -m skcmim``
(:mod:`skcmim.__main__`), which adds these commands to its parser.

``skcmim embed molecules.csv --model cmim-zinc -o embeddings.csv`` reads a
CSV (or ``.smi``) file, optionally gzip'd, and writes one row per input
molecule, in input order: the SMILES as read, then the embedding columns
(named like the estimator's ``get_feature_names_out``).  A row that is not
a valid molecule is reported on stderr with its line number and gets an
all-NaN embedding row, so the output stays aligned with the input.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import itertools
import json
import math
import sys
import zlib
from pathlib import Path

import numpy as np

from . import pretrained
from .molecules import to_smiles
from .streaming import _single_line_rows, _smiles_column, _utf8_lines

# The command line is the interface; nothing here is API to import.
__all__: list[str] = []

EMBED_DESCRIPTION = (
    "Embed molecules with a pretrained (or saved) model. Reads a CSV or .smi file (optionally .gz) with a "
    "SMILES column and writes a CSV with one row per input molecule, in input order: the SMILES as read, then "
    "the embedding columns. A row that is not a valid molecule is reported on stderr with its line number and "
    "gets an all-NaN row (never dropped). A progress bar is shown on a terminal."
)
MODELS_DESCRIPTION = "List the pretrained models (their model cards) that 'skcmim embed --model' accepts."
#: Rows embedded per call of ``transform`` (and per step of the progress bar).
DEFAULT_BATCH_SIZE = 4096


def add_commands(parser: argparse.ArgumentParser) -> None:
    """Add the ``embed`` and ``models`` commands to the main job's parser.

    A parsed command sets ``run``, a function of the parsed arguments that
    returns the exit status; without a command ``run`` is absent.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser of ``python -m skcmim`` / ``skcmim``.
    """
    commands = parser.add_subparsers(
        title="commands", metavar="COMMAND", dest="command",
        description="Without a command, skcmim runs the demonstration job described above.")
    embed = commands.add_parser("embed", help="embed the molecules of a CSV or .smi file",
                                description=EMBED_DESCRIPTION)
    embed.add_argument("input", help="CSV or .smi file of molecules (may end in .gz)")
    embed.add_argument("--model", default="cmim-zinc",
                       help="a pretrained model's name (see 'skcmim models') or the path of a model file written "
                            "by estimator.save (default: %(default)s)")
    embed.add_argument("-o", "--output", required=True, help="the CSV file to write")
    embed.add_argument("--smiles-column", default=None,
                       help="header of the SMILES column (default: the column named 'smiles' in any case, or the "
                            "first field of a file without a header)")
    embed.add_argument("--informative", action="store_true",
                       help="informative embeddings: the code followed by the decoder's hidden states")
    embed.add_argument("--batch-size", type=_positive_int, default=DEFAULT_BATCH_SIZE,
                       help="molecules embedded per step (default: %(default)s)")
    embed.add_argument("--device", default="cpu", help="'cpu', 'cuda' or 'auto' (default: %(default)s)")
    embed.add_argument("--n-jobs", type=int, default=None,
                       help="processes that read the molecules (RDKit, SELFIES) of each step of 2,048 or more; -1: "
                            "every core (default: this process only)")
    embed.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    embed.set_defaults(run=run_embed)
    models = commands.add_parser("models", help="list the pretrained models", description=MODELS_DESCRIPTION)
    models.add_argument("--json", action="store_true", help="print the full model cards as JSON")
    models.set_defaults(run=run_models)


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


# ---------------------------------------------------------------------- input
@contextlib.contextmanager
def _text_lines(path):
    """The lines of a text file, decompressed when its name ends in ``.gz``."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        # undecodable bytes are kept as surrogates so that _utf8_lines can name their line
        with opener(path, "rt", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
            yield _utf8_lines(handle, path)
    except gzip.BadGzipFile as exc:
        raise ValueError(f"{path} is not a gzip file ({exc}), although its name ends in .gz.") from exc
    except (EOFError, zlib.error) as exc:
        raise ValueError(f"{path} is a damaged or truncated gzip file ({exc}).") from exc


def _column(header, wanted, path):
    """Index of the SMILES column and whether ``header`` is a header row (not data)."""
    if wanted is None:
        column = _smiles_column(header)
        return (0, False) if column is None else (column, True)
    fields = [field.strip().lower() for field in header]
    if wanted.strip().lower() not in fields:
        raise ValueError(f"The first line of {path} has no column {wanted!r}; its fields are {header!r}.")
    return fields.index(wanted.strip().lower()), True


def numbered_smiles(path, smiles_column=None):
    """``(line number, SMILES field)`` of every non-blank data line of a CSV or ``.smi`` file.

    The header and the SMILES column are found as :class:`skcmim.streaming.SmilesFile`
    finds them, or named by ``smiles_column``.

    Parameters
    ----------
    path : str or Path
    smiles_column : str or None, default=None
        Header of the SMILES column (any case).

    Yields
    ------
    (int, str)
        Line numbers count from 1, as an editor shows them.

    Raises
    ------
    ValueError
        If the file is malformed (the message names the line) or has no
        column ``smiles_column``.
    """
    path = Path(path)
    with _text_lines(path) as lines:
        reader = csv.reader(lines, strict=True, skipinitialspace=True)
        try:
            rows = _single_line_rows(reader, path)
            first = next(rows, None)
            if first is None:
                return
            column, is_header = _column(first, smiles_column, path)
            if not is_header:
                yield reader.line_num, first[column].strip()
            for row in rows:
                if len(row) <= column:
                    raise ValueError(f"Line {reader.line_num} of {path} has {len(row)} field(s); the SMILES is "
                                     f"field {column + 1}.")
                yield reader.line_num, row[column].strip()
        except csv.Error as exc:
            raise ValueError(f"Line {reader.line_num} of {path} is not valid CSV: {exc}.") from exc


# --------------------------------------------------------------------- output
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


def _why_invalid(text):
    """The reason ``to_smiles`` gives for one invalid SMILES, without its row number."""
    try:
        to_smiles([text])
    except ValueError as exc:
        message = str(exc)
        return message.split(". ")[0].removeprefix("Row 0 ")
    return f"holds {text!r}, which is not a valid molecule"


def _load(model, device):
    """A model by registry name, or from a model file's path."""
    from .persistence import load

    if Path(model).suffix == ".safetensors" or Path(model).is_file():
        return load(model, device=device)
    return pretrained.load(model, device=device)


def _embed_rows(model, numbered, batch_size, writer, bar):
    """Embed and write ``numbered`` rows batch by batch; the line numbers of the invalid ones."""
    invalid = []
    while batch := list(itertools.islice(numbered, batch_size)):
        numbers, texts = zip(*batch)
        Z = model.transform(list(texts))
        missing = ~np.isfinite(Z).all(axis=1)
        for index in np.flatnonzero(missing):
            invalid.append(numbers[index])
            print(f"line {numbers[index]} {_why_invalid(texts[index])}; its embedding row is NaN.", file=sys.stderr)
        writer.writerows([text, *map(repr, row)] for text, row in zip(texts, Z.tolist()))
        bar.update(len(batch))
    return invalid


def run_embed(args):
    """``skcmim embed``: the exit status (0, or 1 with a message on stderr)."""
    path = Path(args.input)
    try:
        if not path.is_file():
            raise FileNotFoundError(f"There is no file {path}.")
        total = sum(1 for _ in numbered_smiles(path, args.smiles_column))  # also checks the whole file first
        model = _load(args.model, args.device)
        model.set_params(on_invalid="nan", informative=args.informative, n_jobs=args.n_jobs)
        with open(args.output, "w", newline="", encoding="utf-8") as out, _progress(total, not args.no_progress) as bar:
            writer = csv.writer(out)
            writer.writerow(["smiles", *model.get_feature_names_out()])
            invalid = _embed_rows(model, numbered_smiles(path, args.smiles_column), args.batch_size, writer, bar)
    except (OSError, ValueError) as exc:
        print(f"skcmim embed: error: {exc}", file=sys.stderr)
        return 1
    summary = f"; {len(invalid)} invalid (NaN rows, lines listed above)" if invalid else ""
    print(f"wrote {total} embeddings of width {len(model.get_feature_names_out())} to {args.output}{summary}",
          file=sys.stderr)
    return 0


# --------------------------------------------------------------------- models
def _headline(card):
    """One line per model: name, class, size, data, and the held-out metrics when measured."""
    data = card.get("training_data", {})
    metrics = card.get("metrics", {})
    shown = ", ".join(f"{key} {value:.3f}" for key, value in metrics.items()
                      if isinstance(value, float) and math.isfinite(value))
    size = card.get("size_bytes", 0) / 1e6
    return (f"{card['name']}: {card.get('estimator', '?')}, {size:.1f} MB, trained on "
            f"{data.get('n_molecules', '?')} molecules of {data.get('source', '?')} for {card.get('epochs', '?')} "
            f"epochs" + (f"; {shown}" if shown else ""))


def run_models(args):
    """``skcmim models``: print the model cards; the exit status."""
    try:
        cards = pretrained.list_models()
    except ValueError as exc:
        print(f"skcmim models: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(cards, indent=2))
    elif not cards:
        print(f"No pretrained models in {pretrained.get_models_dir()}.")
    else:
        print("\n".join(_headline(card) for card in cards))
    return 0
