"""Time to a first embedding: ``pretrained.load`` plus ``transform`` of 10,000 SMILES.

The target (issue 15): under 10 s on 2 CPU cores.  With ``--model NAME``
the shipped model of that name is timed; without it, a stand-in of the
planned size (GRU 256, 32-d code, vocabulary learnt from ZINC, one short
epoch: speed does not depend on what the weights learnt) is trained, saved
and registered in a temporary models folder first, and not timed.

The SMILES are the first ``--n-smiles`` of the MOSES ZINC test split; every
repeat loads the model from its file again and embeds them all (RDKit
validation and canonicalisation included).

``--n-jobs`` sets the processes that read the SMILES with RDKit and write
them as SELFIES (the estimator's ``n_jobs``).  Besides the repeats in this
process, one cold run in a fresh interpreter is timed too, from before
``import skcmim`` to the embeddings (``cold_seconds``): what a script that
embeds once pays, worker processes started included.

``--model-file`` times a saved model file instead (registered in a temporary
models folder), so that two versions of skcmim can be timed on the same
weights, runs interleaved on a shared machine; ``--batch-rows`` sets the
molecules per forward pass (``skcmim.inputs.smiles.INFERENCE_ROWS``) to
measure that choice; ``--device cuda`` embeds on the GPU (the SMILES are
still read on the CPU), to measure that choice there.

    python benchmarks/speed/pretrained_speed.py --threads 2
    python benchmarks/speed/pretrained_speed.py --model cmim-zinc --threads 2
    python benchmarks/speed/pretrained_speed.py --model cmim-zinc --threads 2 --n-jobs 2
    python benchmarks/speed/pretrained_speed.py --model-file stand-in.safetensors --batch-rows 256
    python benchmarks/speed/pretrained_speed.py --model cmim-zinc --device cuda --batch-rows 4096
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import CMIMTransformer, pretrained
from skcmim.datasets import fetch_zinc

from _common import add_data_option, machine


def stand_in(folder, n_train, data):
    """Register a model of the planned size, trained briefly, in ``folder``; its name."""
    model = CMIMTransformer(
        n_components=32, hidden_layer_sizes=(256,), max_epochs=1, batch_size=128, random_state=0, device="cpu"
    )
    model.fit(fetch_zinc("train", n_samples=n_train, path=data))
    return registered(model.save(Path(folder) / "stand-in.safetensors"))


def registered(path):
    """Register the model file ``path`` in its folder under the name "stand-in"; the name."""
    pretrained.register_model(path, {"name": "stand-in", "estimator": "CMIMTransformer"})
    return "stand-in"


def set_batch_rows(rows):
    """Molecules per forward pass of SMILES inference (versions without the setting refuse)."""
    from skcmim.inputs import smiles

    if not hasattr(smiles, "INFERENCE_ROWS"):
        raise SystemExit("--batch-rows: this version of skcmim has no skcmim.inputs.smiles.INFERENCE_ROWS")
    smiles.INFERENCE_ROWS = rows


COLD_RUN = """
import json, sys, time
start = time.perf_counter()
import torch
torch.set_num_threads({threads})
from skcmim import pretrained
smiles = json.load(open(sys.argv[1]))
model = pretrained.load({name!r}, device={device!r}, models_dir={models_dir!r})
model.set_params(informative={informative}, n_jobs={n_jobs}).transform(smiles)
print(time.perf_counter() - start)
"""


def cold_seconds(name, models_dir, smiles, args):
    """Seconds from ``import skcmim`` to the embeddings in a fresh interpreter."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump(list(smiles), handle)
        handle.flush()
        code = COLD_RUN.format(
            threads=args.threads,
            name=name,
            models_dir=models_dir,
            informative=args.informative,
            n_jobs=args.n_jobs,
            device=args.device,
        )
        done = subprocess.run([sys.executable, "-c", code, handle.name], capture_output=True, text=True, check=True)
    return round(float(done.stdout.split()[-1]), 2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model", default=None, help="a shipped model's name (default: a stand-in of the planned size)"
    )
    parser.add_argument("--n-smiles", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: %(default)s)")
    add_data_option(parser, "zinc_moses_{train,test}.csv.gz")
    parser.add_argument(
        "--n-train", type=int, default=2000, help="molecules the stand-in trains on (default: %(default)s)"
    )
    parser.add_argument(
        "--model-file", default=None, help="a saved model file to time (instead of --model or a stand-in)"
    )
    parser.add_argument("--batch-rows", type=int, default=None, help="molecules per forward pass (default: skcmim's)")
    parser.add_argument("--informative", action="store_true", help="time informative embeddings (the decoder runs too)")
    parser.add_argument("--n-jobs", type=int, default=None, help="processes reading the SMILES (default: one)")
    parser.add_argument("--device", default="cpu", help="where the model embeds: cpu, cuda (default: %(default)s)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.batch_rows is not None:
        set_batch_rows(args.batch_rows)
    smiles = fetch_zinc("test", n_samples=args.n_smiles, path=args.data)
    with tempfile.TemporaryDirectory() as folder:
        models_dir = None
        name = args.model
        if args.model_file is not None:
            models_dir = folder
            name = registered(shutil.copy(args.model_file, Path(folder) / "stand-in.safetensors"))
        elif name is None:
            models_dir = folder
            name = stand_in(folder, args.n_train, args.data)
        (card,) = [card for card in pretrained.list_models(models_dir) if card["name"] == name]
        seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            model = pretrained.load(name, device=args.device, models_dir=models_dir)
            Z = model.set_params(informative=args.informative, n_jobs=args.n_jobs).transform(smiles)
            seconds.append(time.perf_counter() - start)
        cold = cold_seconds(name, models_dir, smiles, args)
    result = {
        "model": name,
        "file_mb": round(card["size_bytes"] / 1e6, 1),
        "n_smiles": len(smiles),
        "device": args.device,
        "threads": args.threads,
        "batch_rows": args.batch_rows,
        "informative": args.informative,
        "width": Z.shape[1],
        "seconds": [round(value, 2) for value in seconds],
        "seconds_median": round(statistics.median(seconds), 2),
        "seconds_min": round(min(seconds), 2),
        "smiles_per_s": round(len(smiles) / statistics.median(seconds)),
        "n_jobs": args.n_jobs,
        "cold_seconds": cold,
        "machine": machine(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
