"""Parameter exploration used to pick defaults (validation split of the
training half only; the test half is never looked at here)."""

import argparse
import json
import time

import numpy as np

from _common import DATASETS, embed_both, linear_probe, split

from skcmim import CMIMTransformer, MIMTransformer
from skcmim.baselines import CVAETransformer, InfoNCETransformer, VAETransformer

MODELS = {"cmim": CMIMTransformer, "mim": MIMTransformer, "vae": VAETransformer, "cvae": CVAETransformer,
          "infonce": InfoNCETransformer}

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="mnist5k")
parser.add_argument("--model", default="cmim", choices=["cmim", "mim", "vae", "cvae", "infonce"])
parser.add_argument("--params", default="{}")
parser.add_argument("--seeds", type=int, nargs="+", default=[0])
args = parser.parse_args()

X, y = DATASETS[args.data]()
X_train, _, y_train, _ = split(X, y)
X_fit, X_val, y_fit, y_val = split(X_train, y_train, seed=1)
params = dict(n_components=16, **json.loads(args.params))
scores, seconds = {False: [], True: []}, []
for seed in args.seeds:
    model = MODELS[args.model](random_state=seed, **params)
    start = time.perf_counter()
    model.fit(X_fit)
    seconds.append(time.perf_counter() - start)
    if hasattr(model, "informative"):
        for inf, (a, b) in embed_both(model, X_fit, X_val).items():
            scores[inf].append(linear_probe(a, y_fit, b, y_val))
    else:
        scores[False].append(linear_probe(model.transform(X_fit), y_fit, model.transform(X_val), y_val))
print(json.dumps({"data": args.data, "model": args.model, **params, "seeds": args.seeds,
                  "plain": round(float(np.mean(scores[False])), 4),
                  "informative": round(float(np.mean(scores[True])), 4) if scores[True] else None, "fit_s": round(float(np.mean(seconds)), 1)}))
