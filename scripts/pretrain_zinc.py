"""Pretrain the shipped models (cMIM and MIM) on the MOSES ZINC training split.

Builds ``cmim-zinc`` and ``mim-zinc``: each model is trained on the same
random subset of ``zinc_moses_train.csv.gz`` (drawn with ``--seed``), saved
in the pickle-free format into ``--out`` and evaluated on the first
``--n-test`` SMILES of ``zinc_moses_test.csv.gz``: greedy exact
reconstruction, and the MOSES validity, uniqueness and novelty of
``--n-samples`` molecules decoded from prior samples.  Its model card
(data, epochs, hyper-parameters, training time, hardware, metrics) is then
written into ``registry.json`` in ``--out``, from which
:func:`skcmim.pretrained.load` and the docs read it.

On the CPU the weights depend only on the arguments, ``--seed`` included
(and on the number of threads, which the card records): the same command
rebuilds them bit for bit.

Run from the repository root, for example::

    python scripts/pretrain_zinc.py --data ../shared/data --n-molecules 200000 --epochs 10


MOSES ZINC has no charged atoms, no salts and no iodine; real assay data
has all three.  Salts and charges with a neutral form are removed by the
models' standardisation (``SmilesInput(standardize=True)``); to teach the
models the tokens that remain, ``--augment`` rewrites a share of the training
molecules with one chemical edit each (an aryl or alkyl iodide from a
chloride or bromide, a nitro group, an N-oxide, a quaternary ammonium, a
charge-separated sulfoxide, a boronic acid, a trimethylsilyl group, a
selenophene), drawn with RDKit reactions from ``--seed``.

A second stage continues models saved by a first run, one epoch per learning
rate given (the same molecules, ``--seed`` and ``--n-molecules`` as the first
run), and writes the continued models and their cards, which record both
stages, into ``--out``::

    python scripts/pretrain_zinc.py --data ../shared/data --n-molecules 120000 --threads 1 \\
        --continue-from skcmim/models --learning-rates 1e-4 3e-5 --out continued
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

import sklearn
import torch
from skorch.callbacks import Callback

import skcmim
from skcmim import CMIMTransformer, MIMTransformer, SmilesInput, gru, load
from skcmim.datasets import fetch_zinc
from skcmim.generation_metrics import generation_metrics, reconstruction_accuracy
from skcmim.pretrained import list_models, register_model

MODELS = {"cmim": ("cmim-zinc", CMIMTransformer), "mim": ("mim-zinc", MIMTransformer)}
#: Most bytes all model files of a models folder may take (they ship inside the package).
MAX_TOTAL_BYTES = 25_000_000
# Estimator parameters that say how, not what, a model was trained; not part of its card.
_NOT_HYPERPARAMETERS = {
    "callbacks",
    "verbose",
    "device",
    "n_jobs",
    "random_state",
    "warm_start",
    "input_kind",
    "alphabet",
    "canonical",
    "isomeric",
    "max_length",
    "likelihood",
}  # the last six: 0.1's names


class EpochLog(Callback):
    """Print each epoch's loss, time and throughput as training goes."""

    def __init__(self, name, n_molecules, epochs):
        self.name, self.n_molecules, self.epochs = name, n_molecules, epochs

    def on_train_begin(self, net, **kwargs):
        self.start = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        record = net.history[-1]
        print(
            f"{self.name} epoch {record['epoch']}/{self.epochs}: train_loss {record['train_loss']:.4f}, "
            f"{record['dur']:.1f} s ({self.n_molecules / record['dur']:,.0f} molecules/s), "
            f"{(time.perf_counter() - self.start) / 60:.1f} min in all",
            flush=True,
        )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data",
        default=None,
        help="zinc_moses_train.csv.gz, or a folder holding it and zinc_moses_test.csv.gz "
        "(default: fetch_zinc's: the data home, $SKCMIM_DATA or ~/skcmim_data, downloaded there "
        "and checksummed if missing)",
    )
    parser.add_argument(
        "--test-data", default=None, help="zinc_moses_test.csv.gz (default: beside --data, else the data home)"
    )
    parser.add_argument("--n-molecules", type=int, default=200_000, help="training molecules (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=10, help="(default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=256, help="GRU width (default: %(default)s)")
    parser.add_argument("--n-components", type=int, default=32, help="code width (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128, help="(default: %(default)s)")
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="(default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="data subset and model seed (default: %(default)s)")
    parser.add_argument(
        "--alphabet",
        default="selfies",
        help="token alphabet of the SMILES models: 'selfies' or 'smiles' (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        default=str(Path("skcmim", "models")),
        help="models folder to write the files and registry.json into (default: %(default)s)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu", help="training device (default: %(default)s)")
    parser.add_argument(
        "--models",
        nargs="+",
        choices=sorted(MODELS),
        default=["cmim", "mim"],
        help="which models to train (default: cmim mim)",
    )
    parser.add_argument("--n-test", type=int, default=1000, help="held-out test SMILES (default: %(default)s)")
    parser.add_argument("--n-samples", type=int, default=1000, help="prior samples (default: %(default)s)")
    parser.add_argument(
        "--augment",
        type=float,
        default=0.25,
        help="share of the training molecules rewritten with one chemical edit that brings tokens "
        "MOSES ZINC lacks: charges, iodine, boron, silicon, selenium (default: %(default)s)",
    )
    parser.add_argument(
        "--suffix",
        default="",
        help="appended to the model names, for models whose weights differ from a shipped one's (for example -v2)",
    )
    parser.add_argument(
        "--continue-from",
        default=None,
        help="a models folder of an earlier run: continue its models instead of training new ones",
    )
    parser.add_argument(
        "--learning-rates",
        type=float,
        nargs="+",
        default=None,
        help="with --continue-from: one continued epoch at each of these learning rates",
    )
    args = parser.parse_args(argv)
    if (args.continue_from is None) != (args.learning_rates is None):
        parser.error("--continue-from and --learning-rates go together")
    return args


def zinc_split(split, data, test_data):
    """The ``path`` argument of fetch_zinc for ``split``: a file, a folder, or None for the data home."""
    if split == "test" and test_data is not None:
        return test_data
    if data is None or Path(data).is_dir():
        return data
    return Path(data) if split == "train" else Path(data).with_name("zinc_moses_test.csv.gz")


# Chemical edits that bring tokens MOSES ZINC lacks, as RDKit reaction SMARTS, with how often each is drawn
# among those that apply (nitro groups, N-oxides and iodine are common in assay data; B, Si and Se rare).
EDITS = {
    "iodide": ("[c,C:1][Cl,Br:2]>>[*:1]I", 2.0),
    "nitro": ("[cH:1]>>[c:1][N+](=O)[O-]", 3.0),
    "aromatic N-oxide": ("[nX2;+0:1]>>[n+:1][O-]", 2.0),
    "amine N-oxide": ("[NX3;H0;+0;!$(N~[!#6]);!$(N-[C,S]=[O,S,N]):1]>>[N+:1][O-]", 1.0),
    "quaternary ammonium": ("[NX3;H0;+0;!$(N~[!#6]);!$(N-[C,S]=[O,S,N]):1]>>[N+:1]C", 1.0),
    "charge-separated sulfoxide": ("[SX3;+0:1]=[O:2]>>[S+:1][O-:2]", 2.0),
    "boronic acid": ("[cH:1]>>[c:1]B(O)O", 0.5),
    "trimethylsilyl": ("[cH:1]>>[c:1][Si](C)(C)C", 0.5),
    "selenophene": ("[s:1]>>[se:1]", 0.5),
}


def augmented(smiles, fraction, seed):
    """``smiles`` with a ``fraction`` of them rewritten by one edit of :data:`EDITS` each; and the edits' counts.

    The molecules to rewrite, the edit (weighted among those that apply) and
    where it applies are drawn from ``seed``, so a continued run rewrites the
    same molecules the same way.
    """
    from collections import Counter

    import numpy as np
    from rdkit import Chem, RDLogger
    from rdkit.Chem import AllChem

    RDLogger.DisableLog("rdApp.*")
    reactions = {name: (AllChem.ReactionFromSmarts(smarts), weight) for name, (smarts, weight) in EDITS.items()}
    rng = np.random.RandomState(seed)
    chosen = rng.rand(len(smiles)) < fraction
    out, counts = list(smiles), Counter()
    for index in np.flatnonzero(chosen):
        mol = Chem.MolFromSmiles(smiles[index])
        options = {
            name: products
            for name, (reaction, _) in reactions.items()
            if (products := [p[0] for p in reaction.RunReactants((mol,)) if _sanitised(p[0])])
        }
        if not options:
            continue
        names = sorted(options)
        weights = np.array([reactions[name][1] for name in names])
        name = names[rng.choice(len(names), p=weights / weights.sum())]
        out[index] = Chem.MolToSmiles(options[name][rng.randint(len(options[name]))])
        counts[name] += 1
    return out, dict(sorted(counts.items()))


def _sanitised(mol):
    from rdkit import Chem

    try:
        Chem.SanitizeMol(mol)
    except Exception:  # noqa: BLE001 - RDKit's own error types: an edit that makes no molecule is skipped
        return False
    return True


def estimator(Model, args, log):
    """An unfitted model with the script's settings.

    It reads molecules without stereochemistry (``isomeric=False``): MOSES
    ZINC has none, so training is the same either way, and a user's molecules
    often have it, for which the model has no tokens.
    """
    return Model(
        n_components=args.n_components,
        hidden_layer_sizes=(args.hidden,),
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        device=args.device,
        input=SmilesInput(alphabet=args.alphabet, isomeric=False),
        random_state=args.seed,
        callbacks=[log],
    )


def _json_value(value):
    if isinstance(value, SmilesInput):
        return {"kind": value.kind, "params": value.get_params(deep=False)}
    return list(value) if isinstance(value, tuple) else value


def hyperparameters(model):
    """The parameters that define the model, as JSON values."""
    return {
        name: _json_value(value)
        for name, value in model.get_params(deep=False).items()
        if name not in _NOT_HYPERPARAMETERS
    }


def hardware(device):
    """Where the model was trained: machine, threads, accelerator and software versions."""
    found = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "skcmim": skcmim.__version__,
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        found["gpu"] = torch.cuda.get_device_name()
    # the fused kernel and torch's GRU round differently: a rebuild needs the same one (SKCMIM_FUSED_GRU)
    fused = device == "cpu" and gru.backend() == "fused"
    found["gru"] = "skcmim fused kernel" if fused else "torch"
    return found


def evaluate(model, held_out, training, n_samples, seed):
    """Held-out reconstruction and the MOSES metrics of prior samples."""
    start = time.perf_counter()
    metrics = {"reconstruction_exact": reconstruction_accuracy(model, held_out), "n_held_out": len(held_out)}
    sampled = model.sample(n_samples, random_state=seed)
    generated = generation_metrics(sampled, training=training)
    metrics.update(
        {
            "n_prior_samples": generated["n_generated"],
            "validity": generated["validity"],
            "uniqueness": generated["uniqueness"],
            "novelty": generated["novelty"],
            "evaluation_seconds": round(time.perf_counter() - start, 1),
        }
    )
    # a share without a denominator (no valid sample) is NaN, which strict JSON cannot hold
    metrics = {
        key: None if isinstance(value, float) and not math.isfinite(value) else value for key, value in metrics.items()
    }
    return metrics, sampled[:8].tolist()


def trained(Model, name, args, train):
    """A new model trained on ``train``; and its card's ``epochs`` and ``training`` entries."""
    model = estimator(Model, args, EpochLog(name, len(train), args.epochs))
    print(f"{name}: {Model.__name__} on {len(train):,} molecules, {args.epochs} epochs", flush=True)
    start = time.perf_counter()
    model.fit(train)
    seconds = time.perf_counter() - start
    # persistence.save stores a list of callbacks as it is, which JSON cannot hold; the log is training-time only
    model.set_params(callbacks=None)
    return model, args.epochs, training_record(len(train) * args.epochs, seconds, args.device)


def training_record(n_seen, seconds, device):
    """The ``training`` entry of a card: time, speed, hardware and the command."""
    return {
        "seconds": round(seconds, 1),
        "molecules_per_second": round(n_seen / seconds),
        "hardware": hardware(device),
        "command": " ".join(["python", *sys.argv]),
    }


def continued(name, args, train):
    """The model ``name`` of ``--continue-from`` trained one more epoch per learning rate; its epochs and training.

    Each epoch is a warm-started fit, so it shuffles as the epochs of one
    longer fit would (the seed moves on by the epochs already run).  The
    card's ``training`` then lists the earlier stages before this one.
    """
    folder = Path(args.continue_from)
    earlier = next(card for card in list_models(folder) if card["name"] == name)
    if earlier["training_data"]["n_molecules"] != len(train):
        raise SystemExit(
            f"{name} was trained on {earlier['training_data']['n_molecules']:,} molecules; "
            f"pass the same --n-molecules (and --seed) to continue it"
        )
    model = load(folder / earlier["file"])
    print(
        f"{name}: continuing {earlier['epochs']} epochs on {len(train):,} molecules, "
        f"learning rates {args.learning_rates}",
        flush=True,
    )
    start = time.perf_counter()
    for rate in args.learning_rates:
        model.set_params(warm_start=True, max_epochs=1, learning_rate=rate)
        model.fit(train)
        print(
            f"{name} epoch {model.n_iter_}: learning rate {rate:g}, train_loss "
            f"{model.history_[-1]['train_loss']:.4f}, {(time.perf_counter() - start) / 60:.1f} min in all",
            flush=True,
        )
    # the card's hyper-parameters stay those of the first stage; the stages give the later learning rates
    model.set_params(
        warm_start=False,
        max_epochs=earlier["epochs"] + len(args.learning_rates),
        learning_rate=earlier["hyperparameters"]["learning_rate"],
    )
    seconds = time.perf_counter() - start
    stage = {
        **training_record(len(train) * len(args.learning_rates), seconds, args.device),
        "learning_rates": args.learning_rates,
    }
    stages = earlier["training"].get("stages", [earlier["training"]])
    total = sum(previous["seconds"] for previous in stages) + stage["seconds"]
    return model, model.max_epochs, {"seconds": round(total, 1), "stages": [*stages, stage]}


def train_one(key, args, train, held_out, out, edits):
    """Train (or continue), save, evaluate and register one model; its card."""
    name, Model = MODELS[key]
    name += args.suffix
    if args.continue_from:
        model, epochs, training = continued(name, args, train)
    else:
        model, epochs, training = trained(Model, name, args, train)
    path = model.save(out / f"{name}.safetensors")
    metrics, examples = evaluate(model, held_out, train, args.n_samples, args.seed)
    card = {
        "name": name,
        "estimator": Model.__name__,
        "description": f"{Model.__name__} pretrained on the MOSES ZINC training split",
        "training_data": {
            "source": "MOSES ZINC training split (zinc_moses_train.csv.gz)",
            "n_molecules": len(train),
            "subset": f"uniform random subset, seed {args.seed}",
            "augmentation": {
                "share": args.augment,
                "edits": edits,
                "reactions": {name: smarts for name, (smarts, _) in EDITS.items()},
            },
        },
        "epochs": epochs,
        "hyperparameters": hyperparameters(model),
        "training": training,
        "metrics": {
            **metrics,
            "held_out": f"first {len(held_out)} SMILES of zinc_moses_test.csv.gz",
            "prior_sample_seed": args.seed,
        },
        "examples": examples,
    }
    card = register_model(path, card, out)
    print(
        f"{name}: {training['seconds'] / 60:.1f} min, {card['size_bytes'] / 1e6:.1f} MB, metrics {metrics}", flush=True
    )
    return card


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train = fetch_zinc(
        "train", n_samples=args.n_molecules, random_state=args.seed, path=zinc_split("train", args.data, args.test_data)
    )
    held_out = fetch_zinc("test", n_samples=args.n_test, path=zinc_split("test", args.data, args.test_data))
    train, edits = augmented(train, args.augment, args.seed)
    print(f"{sum(edits.values()):,} of {len(train):,} training molecules rewritten: {edits}", flush=True)
    cards = [train_one(key, args, train, held_out, out, edits) for key in args.models]
    total = sum(path.stat().st_size for path in out.glob("*.safetensors"))
    print(f"{len(cards)} model(s) registered in {out / 'registry.json'}; model files {total / 1e6:.1f} MB in all")
    if total > MAX_TOTAL_BYTES:
        print(
            f"warning: the model files take {total:,} bytes, over the {MAX_TOTAL_BYTES:,} the package may ship",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
