"""Training-loop overhead and transform throughput of the core estimator.

Compares, side by side in one process and interleaved (these machines are
shared and noisy), one ``CMIMTransformer.fit`` against a minimal hand-written
torch loop over the same network, loss, batch size, optimiser and data on the
same device.  The ratio is the median over repeats of (estimator seconds per
epoch) / (hand loop seconds per epoch); the estimator's time includes its
whole ``fit`` (validation, set-up, the copy of the data to the device).

    python benchmarks/speed/core_speed.py                 # MNIST-5k, CPU or CUDA
    python benchmarks/speed/core_speed.py --device cuda --repeats 7

Writes ``benchmarks/results/core_speed/core_speed_<device>.md``.
"""

import argparse
import platform
import statistics
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import CMIMTransformer
from skcmim.datasets import load_mnist_5k
from skcmim.losses import MIMLoss
from skcmim.networks import EncoderDecoder
from skcmim.training import flush_denormals

from _common import results_folder, timed

RESULTS = results_folder(__file__)


def hand_loop(X, device, epochs, batch_size, seed, hidden):
    """The baseline: the shortest correct training loop for this model.

    It flushes denormals like the estimator does, so the ratio measures the
    engine's overhead, not that speed-up.
    """
    with flush_denormals():
        return _hand_loop(X, device, epochs, batch_size, seed, hidden)


def _hand_loop(X, device, epochs, batch_size, seed, hidden):
    torch.manual_seed(seed)
    data = torch.as_tensor(X, dtype=torch.float32, device=device)
    module = EncoderDecoder(X.shape[1], 16, hidden, "bernoulli").to(device)
    loss_fn = MIMLoss(contrastive_weight=1.0, temperature=0.1)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    epoch_losses = []
    for _ in range(epochs):
        shuffled = data[torch.randperm(len(data), generator=generator).to(device)]
        total = torch.zeros((), device=device)
        for start in range(0, len(data), batch_size):
            optimizer.zero_grad()
            loss = loss_fn(module(shuffled[start : start + batch_size]))
            loss.backward()
            optimizer.step()
            total += loss.detach()
        epoch_losses.append(total.item())
    return epoch_losses


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    device = torch.device(
        "cuda"
        if args.device == "auto" and torch.cuda.is_available()
        else ("cpu" if args.device == "auto" else args.device)
    )
    X, _ = load_mnist_5k()
    X = X.astype(np.float32)
    hidden = (512, 512)
    params = dict(
        n_components=16,
        hidden_layer_sizes=hidden,
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        device=str(device),
        random_state=0,
    )

    # warm-up both paths (allocator, kernels, lazy imports)
    CMIMTransformer(**{**params, "max_epochs": 1}).fit(X)
    hand_loop(X, device, 1, args.batch_size, 0, hidden)

    ratios, est_times, hand_times = [], [], []
    for repeat in range(args.repeats):
        model = CMIMTransformer(**{**params, "random_state": repeat})
        t_est = timed(model.fit, X)
        t_hand = timed(hand_loop, X, device, args.epochs, args.batch_size, repeat, hidden)
        est_times.append(t_est / args.epochs)
        hand_times.append(t_hand / args.epochs)
        ratios.append(t_est / t_hand)

    n_rows = 5 * len(X)
    throughput = {}
    for dtype in (np.float32, np.float64):
        X_big = np.tile(X, (5, 1)).astype(dtype)
        model.transform(X_big[:1000])
        throughput[dtype] = n_rows / min(timed(model.transform, X_big) for _ in range(3))

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "CPU"
    lines = [
        f"Device: {device} ({name}), torch {torch.__version__}, {torch.get_num_threads()} CPU threads",
        f"MNIST-5k (5,000 x 784), MLP {hidden}, n_components=16, batch {args.batch_size}, "
        f"{args.epochs} epochs, {args.repeats} interleaved repeats",
        "",
        "| measure | value |",
        "|---|---|",
        f"| estimator s/epoch (median) | {statistics.median(est_times):.4f} |",
        f"| hand-written loop s/epoch (median) | {statistics.median(hand_times):.4f} |",
        f"| ratio estimator / hand loop (median) | {statistics.median(ratios):.3f} |",
        f"| ratio min .. max | {min(ratios):.3f} .. {max(ratios):.3f} |",
        f"| transform throughput, float32 input (samples/s, {n_rows:,} rows) | {throughput[np.float32]:,.0f} |",
        f"| transform throughput, float64 input (samples/s, computed in float64 on CPU) "
        f"| {throughput[np.float64]:,.0f} |",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"core_speed_{device.type}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
