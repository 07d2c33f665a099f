"""Time to a first embedding: ``pretrained.load`` plus ``transform`` of 10,000 SMILES.

The target (issue 15): under 10 s on 2 CPU cores.  With ``--model NAME``
the shipped model of that name is timed; without it, a stand-in of the
planned size (GRU 256, 32-d code, vocabulary learnt from ZINC, one short
epoch: speed does not depend on what the weights learnt) is trained, saved
and registered in a temporary models folder first, and not timed.

The SMILES are the first ``--n-smiles`` of the MOSES ZINC test split; every
repeat loads the model from its file again and embeds them all (RDKit
validation and canonicalisation included).

    python benchmarks/pretrained_speed.py --threads 2
    python benchmarks/pretrained_speed.py --model cmim-zinc --threads 2
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from _common import machine

from skcmim import CMIMTransformer, pretrained
from skcmim.datasets import fetch_zinc


def stand_in(folder, n_train, data):
    """Register a model of the planned size, trained briefly, in ``folder``; its name."""
    model = CMIMTransformer(n_components=32, hidden_layer_sizes=(256,), max_epochs=1, batch_size=128,
                            random_state=0, device="cpu")
    model.fit(fetch_zinc("train", n_samples=n_train, path=data))
    path = model.save(Path(folder) / "stand-in.safetensors")
    pretrained.register_model(path, {"name": "stand-in", "estimator": "CMIMTransformer"})
    return "stand-in"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="a shipped model's name (default: a stand-in of the planned size)")
    parser.add_argument("--n-smiles", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: %(default)s)")
    parser.add_argument("--data", default=None, help="folder of zinc_moses_{train,test}.csv.gz (default: fetch_zinc's search)")
    parser.add_argument("--n-train", type=int, default=2000, help="molecules the stand-in trains on (default: %(default)s)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    smiles = fetch_zinc("test", n_samples=args.n_smiles, path=args.data)
    with tempfile.TemporaryDirectory() as folder:
        models_dir = None
        name = args.model
        if name is None:
            models_dir = folder
            name = stand_in(folder, args.n_train, args.data)
        (card,) = [card for card in pretrained.list_models(models_dir) if card["name"] == name]
        seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            Z = pretrained.load(name, models_dir=models_dir).transform(smiles)
            seconds.append(time.perf_counter() - start)
    result = {"model": name, "file_mb": round(card["size_bytes"] / 1e6, 1), "n_smiles": len(smiles),
              "threads": args.threads, "width": Z.shape[1], "seconds_median": round(statistics.median(seconds), 2),
              "seconds_min": round(min(seconds), 2), "smiles_per_s": round(len(smiles) / statistics.median(seconds)),
              "machine": machine()}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
