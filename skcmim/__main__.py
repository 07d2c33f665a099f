"""Main job: ``python -m skcmim``.

Trains MIM and cMIM on an embedded dataset (scikit-learn's digits by
default), prints held-out LogisticRegression accuracy for PCA of the same
width, MIM, cMIM and cMIM with informative embeddings, and writes a PNG of
the codes' 2-D projection coloured by class.
"""

import argparse
import os
import sys
import time

from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import CMIMTransformer, MIMTransformer, __version__
from .cli import add_commands
from .datasets import load_digits_unit, load_mnist_5k

DATASETS = {"digits": load_digits_unit, "mnist5k": load_mnist_5k}

# The help text is plain text for a terminal, not the module's reST docstring.
DESCRIPTION = (
    "Train MIM and cMIM on a small embedded dataset (scikit-learn's digits by default), "
    "print the held-out accuracy of a logistic regression on PCA of the same width, on MIM, "
    "on cMIM and on cMIM's informative embeddings, and write a PNG of the cMIM codes "
    "projected to 2-D and coloured by class."
)


def _program_name(argv0):
    """The name the user typed: ``python -m skcmim`` or the console script's name.

    ``python -m`` puts the path of ``__main__.py`` in ``sys.argv[0]``, which
    argparse would otherwise print as the program name.
    """
    if os.path.basename(argv0 or "") == "__main__.py":
        return "python -m skcmim"
    return "skcmim"


def _probe(Z_train, y_train, Z_test, y_test):
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog=_program_name(sys.argv[0]), description=DESCRIPTION)
    parser.add_argument("--data", choices=sorted(DATASETS), default="digits",
                        help="dataset to train on (default: %(default)s)")
    parser.add_argument("--n-components", type=int, default=16,
                        help="width of the codes and of the PCA baseline (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the split and of the models (default: %(default)s)")
    parser.add_argument("--output", default="skcmim_codes.png",
                        help="where to write the PNG of the 2-D code map (default: %(default)s)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_commands(parser)
    args = parser.parse_args(argv)
    if args.command is not None:
        return args.run(args)

    X, y = DATASETS[args.data]()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=args.seed)
    print(f"skcmim {__version__}: {args.data}, {X.shape[0]} samples x {X.shape[1]} features, "
          f"50/50 stratified split, n_components={args.n_components}")

    pca = PCA(args.n_components, random_state=args.seed).fit(X_train)
    rows = [(f"PCA-{args.n_components}", _probe(pca.transform(X_train), y_train, pca.transform(X_test), y_test), 0.0)]
    for name, Model in (("MIM", MIMTransformer), ("cMIM", CMIMTransformer)):
        start = time.perf_counter()
        model = Model(n_components=args.n_components, random_state=args.seed).fit(X_train)
        seconds = time.perf_counter() - start
        rows.append((name, _probe(model.transform(X_train), y_train, model.transform(X_test), y_test), seconds))
    model.set_params(informative=True)
    rows.append(("cMIM informative", _probe(model.transform(X_train), y_train, model.transform(X_test), y_test),
                 seconds))
    model.set_params(informative=False)

    print(f"\n{'representation':<20} {'accuracy':>8} {'fit s':>7}")
    for name, accuracy, seconds in rows:
        print(f"{name:<20} {accuracy:>8.3f} {seconds:>7.1f}")
    _write_png(args.output, model.transform(X_test), y_test, f"cMIM codes of held-out {args.data} (PCA to 2-D)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
