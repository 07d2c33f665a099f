"""The network's share of SMILES ``transform``: the fused GRU kernel against torch's GRU, per batch size.

The shipped ``cmim-zinc`` encodes (or, with ``--informative``, encodes and
teacher-forces its decoder over) the first ``--n-smiles`` SMILES of the
MOSES ZINC test split, in the length-sorted batches ``transform`` makes with
``skcmim.inputs.smiles.INFERENCE_ROWS`` set to each ``--rows``.  Reading the
molecules (RDKit, SELFIES) is done once beforehand and not timed.  Each
round times every batch size with the fused kernel and with torch's GRU over
packed sequences (``skcmim.gru.use_backend``), one after the other, so that
the shared machine's load falls on both alike; the largest difference
between the two paths' outputs is reported too.  The kernel must be built
for this environment first (``skcmim build-kernel``).

    python -c "from skcmim import gru; gru.build_kernel(verbose=True)"
    python benchmarks/studies/smiles_inference.py --threads 2
    python benchmarks/studies/smiles_inference.py --threads 2 --informative

Writes ``benchmarks/results/smiles_inference/smiles_inference_cpu.md`` (appends a section).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import gru, pretrained
from skcmim.datasets import fetch_zinc
from skcmim.inputs import smiles as smiles_input

from _common import add_data_option, fused_gru, machine, results_folder

RESULTS = results_folder(__file__)
PATHS = {"fused kernel": True, "torch GRU, packed": False}


def network_seconds(model, batches, informative, fused):
    """Seconds for the network over ``batches``, and its outputs."""
    net = model.net_.module_
    run = net.informative if informative else net.encode
    start = time.perf_counter()
    with torch.inference_mode(), fused_gru(fused):
        outputs = [run(torch.as_tensor(batch)) for batch in batches]
    return time.perf_counter() - start, torch.cat(outputs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-smiles", type=int, default=10_000)
    parser.add_argument("--rows", type=int, nargs="+", default=[128, 256, 512, 1024, 4096])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--informative", action="store_true", help="informative embeddings (the decoder runs too)")
    add_data_option(parser, "zinc_moses_test.csv.gz")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not gru.kernel_path().is_file():
        raise SystemExit(
            f"no fused GRU kernel is built for this environment ({gru.kernel_path()}): run `skcmim build-kernel` first."
        )
    model = pretrained.load("cmim-zinc")
    smiles = fetch_zinc("test", n_samples=args.n_smiles, path=args.data)
    batches = {}
    for rows in args.rows:
        smiles_input.INFERENCE_ROWS = rows
        batches[rows] = model.input_.inference_rows(smiles, model).batches
    network_seconds(model, batches[args.rows[0]][:1], args.informative, True)  # builds or loads the kernel
    seconds = {(rows, path): [] for rows in args.rows for path in PATHS}
    difference = {rows: 0.0 for rows in args.rows}
    for _ in range(args.rounds):
        for rows in args.rows:
            outputs = {}
            for path, fused in PATHS.items():
                elapsed, outputs[path] = network_seconds(model, batches[rows], args.informative, fused)
                seconds[rows, path].append(round(elapsed, 2))
            difference[rows] = max(
                difference[rows], float((outputs["fused kernel"] - outputs["torch GRU, packed"]).abs().max())
            )
    what = "informative embeddings" if args.informative else "codes"
    lines = [
        f"## {what}, {args.n_smiles:,} SMILES, {args.threads} threads, {args.rounds} rounds",
        "",
        f"`python benchmarks/studies/smiles_inference.py --threads {args.threads} --n-smiles {args.n_smiles}"
        f"{' --informative' if args.informative else ''}`; {machine()}.",
        "",
        "| rows per batch | fused kernel, s | torch GRU packed, s | torch / kernel (median) | largest difference |",
        "|---|---|---|---|---|",
    ]
    for rows in args.rows:
        fused, packed = seconds[rows, "fused kernel"], seconds[rows, "torch GRU, packed"]
        ratio = statistics.median(packed) / statistics.median(fused)
        lines.append(
            f"| {rows} | {', '.join(map(str, fused))} | {', '.join(map(str, packed))} | {ratio:.2f}x "
            f"| {difference[rows]:.1e} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    output = RESULTS / "smiles_inference_cpu.md"
    header = "" if output.exists() else "# The network's share of SMILES transform, CPU\n\n"
    with open(output, "a", encoding="utf-8") as handle:
        handle.write(header + text + "\n")


if __name__ == "__main__":
    main()
