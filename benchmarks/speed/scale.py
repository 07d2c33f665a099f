"""Scale: fit time and peak memory of cMIM on growing slices of ZINC.

Each fit runs in a fresh process and streams ``zinc_moses_train.csv.gz``
(``load_zinc(n_samples=n, stream=True)``): one pass sets up the SMILES
vocabulary, then one pass per epoch trains, one chunk of 65,536 SMILES in
memory at a time.  For the smaller sizes the same fit from an in-memory list
is run beside it, to show what streaming saves.  Time should grow linearly
with the number of molecules and streamed memory should stay flat.  Two
more rows time the data pipeline alone (read, parse, tokenise; with and
without RDKit canonicalisation), the ceiling on what it can feed a GPU.

Run from the repository root::

    python benchmarks/speed/scale.py                          # 10k, 100k, 1M, 1 epoch
    python benchmarks/speed/scale.py --sizes 10000 100000     # a shorter run

Writes ``benchmarks/results/scale/scale.csv`` and ``scale.md``.
"""

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import CMIMTransformer
from skcmim.datasets import load_zinc

from _common import PeakMemory, add_data_option, in_fresh_process, machine, results_folder

RESULTS = results_folder(__file__)
# Smaller than benchmarks/claims/molecular.py's network, so that 1M SMILES fit in a
# CPU run; the scaling, not the model quality, is measured here.
MODEL = dict(n_components=32, hidden_layer_sizes=(128,), batch_size=512, random_state=0)


def _fit(n_samples, epochs, streamed, device, data):
    model = CMIMTransformer(**MODEL, max_epochs=epochs, device=device)
    # the peak covers reading the data too: that is what streaming saves
    with PeakMemory(device) as memory:
        smiles = load_zinc(n_samples=n_samples, path=data, stream=streamed)
        start = time.perf_counter()
        model.fit(smiles)
        seconds = time.perf_counter() - start
    return {
        "data": "streamed" if streamed else "in memory",
        "molecules": n_samples,
        "epochs": epochs,
        "fit_seconds": seconds,
        "molecules_per_s": n_samples * epochs / seconds,
        "seconds_per_1k_molecules_epoch": 1000 * seconds / (n_samples * epochs),
        "peak_memory_mib": memory.mib,
        "final_loss": float(model.history_[-1, "train_loss"]),
    }


def _pipeline(n_samples, canonical, data):
    """Molecules/s of the streamed data pipeline alone (read, parse, tokenise), no training."""
    model = CMIMTransformer(**MODEL, canonical=canonical)
    source = load_zinc(n_samples=n_samples, path=data, stream=True)
    stream = model._training_data(source, first_call=True)  # the setup pass: vocabulary
    start = time.perf_counter()
    rows = sum(len(chunk) for chunk in stream.chunks())
    seconds = time.perf_counter() - start
    return {
        "data": f"pipeline only, canonical={canonical}",
        "molecules": rows,
        "epochs": 1,
        "fit_seconds": seconds,
        "molecules_per_s": rows / seconds,
        "seconds_per_1k_molecules_epoch": 1000 * seconds / rows,
        "peak_memory_mib": float("nan"),
        "final_loss": float("nan"),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument(
        "--in-memory-up-to", type=int, default=100_000, help="also fit from an in-memory list for sizes up to this"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--report", action="store_true", help="only rewrite scale.md from scale.csv")
    add_data_option(parser, "zinc_moses_train.csv.gz")
    args = parser.parse_args(argv)
    device = str(torch.device("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    if args.report:
        print(write_report(pd.read_csv(RESULTS / "scale.csv"), "python benchmarks/speed/scale.py", device))
        return 0
    rows = []
    for n_samples in args.sizes:
        for streamed in (True, False):
            if not streamed and n_samples > args.in_memory_up_to:
                continue
            rows.append(in_fresh_process(_fit, n_samples, args.epochs, streamed, device, args.data))
            print(rows[-1], flush=True)
    for canonical in (True, False):
        rows.append(in_fresh_process(_pipeline, min(args.sizes[-1], 100_000), canonical, args.data))
        print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    frame.to_csv(RESULTS / "scale.csv", index=False)
    command = "python benchmarks/speed/scale.py" + ("" if argv is None else " " + " ".join(argv))
    print(write_report(frame, command, device))
    return 0


_SHORT_NAMES = {
    "fit_seconds": "seconds",
    "molecules_per_s": "molecules/s",
    "seconds_per_1k_molecules_epoch": "s per 1k per epoch",
    "peak_memory_mib": "peak MiB",
    "final_loss": "final loss",
}


def write_report(frame, command, device):
    """``scale.md`` from the results table."""
    text = "\n".join(
        [
            "# Scale: cMIM on ZINC SMILES",
            "",
            f"`{command}` on {machine()}, "
            f"device {device}; model {MODEL}. Fit time includes the setup pass over the data (vocabulary); "
            "peak memory is the process's resident memory added while reading the data and fitting. The "
            "'pipeline only' rows time one pass of reading, RDKit parsing (and canonicalising) and tokenising the "
            "streamed SMILES without training: the most molecules/s this pipeline can feed a GPU from one core.",
            "",
            frame.rename(columns=_SHORT_NAMES).to_markdown(index=False, floatfmt=".2f"),
            "",
        ]
    )
    (RESULTS / "scale.md").write_text(text)
    return text


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))
