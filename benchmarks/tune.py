"""Parameter exploration used to pick defaults (validation split of the
training half only; the test half is never looked at here)."""

import argparse
import json
import time

import numpy as np

from _common import DATASETS, embed_both, linear_probe, split

from skcmim import CMIMTransformer, MIMTransformer

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="mnist5k")
parser.add_argument("--model", default="cmim")
parser.add_argument("--params", default="{}")
parser.add_argument("--seeds", type=int, nargs="+", default=[0])
args = parser.parse_args()

X, y = DATASETS[args.data]()
X_train, _, y_train, _ = split(X, y)
X_fit, X_val, y_fit, y_val = split(X_train, y_train, seed=1)
params = dict(n_components=16, **json.loads(args.params))
scores, seconds = {False: [], True: []}, []
for seed in args.seeds:
    model = (CMIMTransformer if args.model == "cmim" else MIMTransformer)(random_state=seed, **params)
    start = time.perf_counter()
    model.fit(X_fit)
    seconds.append(time.perf_counter() - start)
    for inf, (a, b) in embed_both(model, X_fit, X_val).items():
        scores[inf].append(linear_probe(a, y_fit, b, y_val))
print(json.dumps({"data": args.data, "model": args.model, **params, "seeds": args.seeds,
                  "plain": round(float(np.mean(scores[False])), 4),
                  "informative": round(float(np.mean(scores[True])), 4), "fit_s": round(float(np.mean(seconds)), 1)}))
