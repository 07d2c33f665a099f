"""SMILES training throughput: the estimator on either GRU, against a hand-written loop and 0.1's training.

The network is the SMILES cMIM of the issue (bidirectional GRU encoder and
GRU decoder of width 256, 64-d token embeddings, a 32-d code), trained with
Adam on ZINC rows from ``../shared/data``.  Every mode trains the same rows
for one epoch; the modes run interleaved, each repeat in a rotated order
(these machines are shared and noisy), and the report gives medians and
ratios to the hand-written loop with the estimator's batching (the ratios
also as a geometric mean over the repeats, with a paired 95% interval, and
split by whether a mode ran before or after the hand loop in its repeat, which
shows an order effect if there is one):

* ``estimator``: ``CMIMTransformer.fit`` for one epoch; the epoch's time is
  skorch's ``dur`` (the fit's set-up, RDKit validation and tokenisation,
  once per fit, is reported apart), on the GRU this process chose
  (:func:`skcmim.gru.backend`: the fused kernel where it is built);
* ``estimator_torch_gru``, ``estimator_fused``: ``estimator`` on torch's GRU
  (what the default install trains with) and on skcmim's fused kernel;
* ``hand``: the shortest correct torch loop over the same network, loss,
  optimiser and batches (``TensorBatches``, length-bucketed), trained with
  skcmim's fused GRU kernel (:mod:`skcmim.gru`) on the CPU;
* ``legacy``: the training of skcmim 0.1, which the issue measured: random
  batches, torch's GRU and a bidirectional GRU encoder over packed sequences.

The modes that train with the fused kernel need it built for this
environment first (``skcmim build-kernel``).  Earlier versions of this script
had more modes (``hand_torch_gru``, ``hand_random``, ``hand_bf16``,
``hand_b256``, ``hand_b512``, ``estimator_ddp2``, ``estimator_ddp2_bf16``);
their answers, and the commit that last had them, are in
``benchmarks/results/smiles_speed/``.

Achieved model FLOP/s count the floating-point operations of the real
(non-pad) tokens, from the GRU and linear sizes (training = 3 x forward),
against the best of a large float32 ``torch.mm`` over the whole run, and
against the best of six such products, three right before and three right
after each epoch (the peak beside it: on a shared machine the speed of both
drifts together)::

    python benchmarks/speed/smiles_speed.py                       # 2,048 rows, 3 repeats
    python benchmarks/speed/smiles_speed.py --rows 2048 --repeats 5 --threads 2 \
        --output benchmarks/results/smiles_speed/smiles_speed_cpu_2threads.md
    python benchmarks/speed/smiles_speed.py --modes estimator --output -    # any skcmim version, no report
    python benchmarks/speed/smiles_speed.py --rows 2048 --repeats 5 --threads 2 \
        --modes estimator_torch_gru,estimator_fused --output -

(from a checkout that is not the installed one: ``PYTHONPATH=. python
benchmarks/speed/smiles_speed.py``).  Writes
``benchmarks/results/smiles_speed/smiles_speed_cpu.md``.  With ``--device
cuda`` the modes train on the GPU (the modes that choose a GRU are the CPU's
and are left out; the matrix-multiply peak is then an 8192 x 8192 product on
the GPU) and the report goes to ``smiles_speed_cuda.md`` there::

    python benchmarks/speed/smiles_speed.py --device cuda --rows 16384 --repeats 5 --modes estimator,hand,legacy
"""

import argparse
import contextlib
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import CMIMTransformer
from skcmim.losses import MIMLoss
from skcmim.molecules import SmilesTokenizer, to_smiles
from skcmim.networks import SmilesEncoderDecoder
from skcmim.training import DeviceTensorDataset, RaggedRows, TensorBatches, flush_denormals

from _common import PROJECT_DATA, fused_gru, results_folder, synchronize, timed
from claims.verdicts import paired_interval

RESULTS = results_folder(__file__)
DATA_FOLDERS = [os.environ.get("SKCMIM_DATA"), PROJECT_DATA, "/work/shared/data"]
HIDDEN, CODE, EMBEDDING = 256, 32, 64
CMIM = dict(contrastive_weight=10.0, temperature=0.1)  # CMIMTransformer's defaults
MODES = ("estimator", "estimator_torch_gru", "estimator_fused", "hand", "legacy")
#: The modes that train on the CPU with skcmim's fused GRU kernel (``estimator`` uses it where it is built).
FUSED_MODES = ("estimator_fused", "hand")
#: The modes that choose the CPU's GRU: on a GPU torch's GRU runs whatever they choose.
GRU_MODES = ("estimator_torch_gru", "estimator_fused")


def zinc_rows(n_rows):
    """The first ``n_rows`` SMILES of the MOSES ZINC training split, canonical."""
    folder = next((Path(f) for f in DATA_FOLDERS if f and (Path(f) / "zinc_moses_train.csv.gz").is_file()), None)
    if folder is None:
        raise SystemExit("zinc_moses_train.csv.gz not found; set SKCMIM_DATA to the shared data folder.")
    with gzip.open(folder / "zinc_moses_train.csv.gz", "rt") as handle:
        next(handle)
        return to_smiles([next(handle).strip() for _ in range(n_rows)])[0]


# ----------------------------------------------------------------------------- model FLOPs
def gru_flops(n_inputs, hidden):
    """Multiply-adds (x2) of one GRU step: three gates, each an input and a recurrent matrix product."""
    return 2 * 3 * hidden * (n_inputs + hidden)


def training_flops(lengths, vocab_size):
    """FLOPs of one training pass over sequences of ``lengths`` tokens (``<bos>`` and ``<eos>`` included).

    Forward: the encoder's two GRU directions read every token, the decoder
    GRU and its output layer run at every token but the last; backward
    costs two forwards.  Elementwise gate arithmetic, the loss and the
    optimiser are left out (they are a few per cent).
    """
    tokens = int(np.sum(lengths))
    encoder = 2 * gru_flops(EMBEDDING, HIDDEN) * tokens
    decoder = (gru_flops(EMBEDDING + CODE, HIDDEN) + 2 * HIDDEN * vocab_size) * (tokens - len(lengths))
    return 3 * (encoder + decoder)


#: Side of the square products that measure the peak: a 2048 product is over before an H100-class GPU reaches
#: its rate.
PEAK_SIZE = {"cpu": 2048, "cuda": 8192}


def matmul_peak(dtype, repeats=5, device="cpu"):
    """Best FLOP/s of a square matrix product (``PEAK_SIZE``) in ``dtype`` on ``device``."""
    size = PEAK_SIZE[torch.device(device).type]
    a, b = (torch.randn(size, size, device=device).to(dtype) for _ in range(2))
    torch.mm(a, b)
    best = min(timed(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * size**3 / best


# ----------------------------------------------------------------------------- the loops
def hand_epoch(data, vocab_size, max_length, *, batch_size, seed, buckets=True, packed=False, fused=True, device="cpu"):
    """Seconds of one epoch of the shortest correct loop over ``data`` (``RaggedRows``)."""
    torch.manual_seed(seed)
    module = SmilesEncoderDecoder(
        vocab_size, CODE, max_length=max_length, embedding_dim=EMBEDDING, hidden_size=HIDDEN
    ).to(device)
    if packed:  # the encoder of skcmim 0.1 in training too: the bidirectional GRU over packed sequences
        module._final_states = module._packed_final_states
    loss_fn = MIMLoss(**CMIM)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    batches = TensorBatches(
        DeviceTensorDataset(data.to(device)),
        batch_size,
        shuffle=True,
        seed=seed,
        length_buckets=50 if buckets else None,
    )
    kind = torch.device(device).type
    synchronize()
    start = time.perf_counter()
    # the kernel is the CPU's: on a GPU torch's GRU runs whatever the switch says
    with flush_denormals(), fused_gru(fused) if kind == "cpu" else contextlib.nullcontext():
        for x, _ in batches:
            optimizer.zero_grad()
            loss_fn(module(x)).backward()
            optimizer.step()
    synchronize()
    return time.perf_counter() - start


def estimator_epoch(smiles, *, batch_size, seed, device="cpu"):
    """(epoch seconds, whole-fit seconds) of ``CMIMTransformer.fit`` for one epoch."""
    model = CMIMTransformer(
        CODE, hidden_layer_sizes=(HIDDEN,), max_epochs=1, batch_size=batch_size, device=device, random_state=seed
    )
    fit = timed(lambda: model.fit(smiles))
    return model.history_[-1, "dur"], fit


def run_mode(mode, smiles, data, vocab_size, max_length, batch_size, seed, device="cpu"):
    """(epoch seconds, extra) of one mode."""
    if mode == "estimator":
        return estimator_epoch(smiles, batch_size=batch_size, seed=seed, device=device)
    if mode in ("estimator_torch_gru", "estimator_fused"):
        with fused_gru(mode == "estimator_fused"):
            return estimator_epoch(smiles, batch_size=batch_size, seed=seed, device=device)
    options = {"hand": {}, "legacy": {"buckets": False, "packed": True, "fused": False}}[mode]
    return hand_epoch(data, vocab_size, max_length, batch_size=batch_size, seed=seed, device=device, **options), None


# ----------------------------------------------------------------------------- report
def ratio_interval(times, base_times):
    """``(geometric mean, low, high)`` of the per-repeat ratios ``times / base_times``: a paired 95% t-interval
    on their logarithms (a ratio of speeds is symmetric on the log scale), back-transformed."""
    mean, low, high, _ = paired_interval(np.log(times), np.log(base_times))
    return tuple(float(np.exp(v)) for v in (mean, low, high))


def _interval_text(times, base_times, unit="", digits=3):
    mean, low, high = ratio_interval(times, base_times)
    return f"{mean:.{digits}f}{unit} [{low:.{digits}f}, {high:.{digits}f}]"


def _mode_applies(mode, on_gpu):
    """Whether ``mode`` measures anything on this device (the choice of GRU is the CPU's)."""
    return not (on_gpu and mode in GRU_MODES)


def _kernel_built():
    """Whether skcmim's fused GRU kernel is built for this environment (always, for a skcmim without skcmim.gru)."""
    try:
        from skcmim import gru
    except ImportError:
        return True
    return gru.kernel_path().is_file()


def _gru_note():
    """The GRU the ``estimator`` mode trains with, for the report."""
    try:
        from skcmim import gru
    except ImportError:
        return "estimator: skcmim's choice of GRU (a version without skcmim.gru)"
    return f"estimator trains on this process's choice of GRU: {gru.backend()}"


def _device_name(device):
    return f"cuda ({torch.cuda.get_device_name(device)})" if torch.device(device).type == "cuda" else "cpu"


def _order_medians(times, base_times, before):
    """``"a / b"``: the median ratio ``times / base_times`` in the repeats run before the base, and after it."""
    ratios = np.asarray(times) / np.asarray(base_times)
    before = np.asarray(before)
    return " / ".join(f"{np.median(part):.3f}" if len(part) else "-" for part in (ratios[before], ratios[~before]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: %(default)s)")
    parser.add_argument(
        "--output",
        default=None,
        help="report file (default: benchmarks/results/smiles_speed/smiles_speed_<cpu or cuda>.md); - for none",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = args.device
    on_gpu = torch.device(device).type == "cuda"
    output = args.output or str(RESULTS / f"smiles_speed_{torch.device(device).type}.md")
    modes = [m for m in args.modes.split(",") if _mode_applies(m, on_gpu)]
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        raise SystemExit(
            f"unknown modes {unknown}; the modes are {', '.join(MODES)} (the retired ones are listed in "
            f"benchmarks/results/smiles_speed/smiles_speed_cpu.md)"
        )
    if not on_gpu and set(modes) & set(FUSED_MODES) and not _kernel_built():
        raise SystemExit(
            f"the modes {sorted(set(modes) & set(FUSED_MODES))} train with skcmim's fused GRU kernel, "
            f"which is not built for this environment: run `skcmim build-kernel` (or "
            f"python -c 'from skcmim import gru; gru.build_kernel()') first."
        )

    smiles = zinc_rows(args.rows)
    tokenizer = SmilesTokenizer().fit(smiles)
    flat, lengths = tokenizer.encode_ragged(smiles)
    data = RaggedRows(flat, lengths, tokenizer.pad_index)
    vocab_size, max_length = tokenizer.vocab_size, tokenizer.max_length_
    flops = training_flops(lengths, vocab_size)
    # the peak is the best the machine does: measured before the runs and after each repeat, the highest kept
    peak = matmul_peak(torch.float32, device=device)

    # warm-up: allocator, kernels, lazy imports
    warm = RaggedRows(*tokenizer.encode_ragged(smiles[:256]), tokenizer.pad_index)
    for mode in modes:
        run_mode(mode, smiles[:256], warm, vocab_size, max_length, args.batch_size, 0, device)

    times = {mode: [] for mode in modes}
    beside = {mode: [] for mode in modes}  # the float32 peak measured right before and after each epoch
    fits = []
    ran_before_base = {mode: [] for mode in modes}  # per repeat: did the mode run before the base mode?
    base = "hand" if "hand" in times else modes[0]
    for repeat in range(args.repeats):
        order = modes[repeat % len(modes) :] + modes[: repeat % len(modes)]
        for mode in modes:
            ran_before_base[mode].append(order.index(mode) < order.index(base))
        for mode in order:
            before = matmul_peak(torch.float32, repeats=3, device=device)
            seconds, fit = run_mode(mode, smiles, data, vocab_size, max_length, args.batch_size, repeat, device)
            times[mode].append(seconds)
            beside[mode].append(max(before, matmul_peak(torch.float32, repeats=3, device=device)))
            if fit is not None:
                fits.append(fit)
            print(f"repeat {repeat} {mode:12s} {len(smiles) / seconds:8.1f} molecules/s", flush=True)
        peak = max(peak, matmul_peak(torch.float32, device=device))

    size = PEAK_SIZE[torch.device(device).type]
    lines = [
        f"Device: {_device_name(device)}, torch {torch.__version__}, {torch.get_num_threads()} threads, load average "
        f"{os.getloadavg()[0]:.1f} at the end (shared machine)",
        f"ZINC (MOSES train) first {len(smiles):,} rows, {int(lengths.sum()):,} tokens (mean "
        f"{lengths.mean():.1f}), GRU {HIDDEN}, code {CODE}, batch {args.batch_size}, one epoch per mode, "
        f"{args.repeats} interleaved repeats; {_gru_note()}",
        f"Model FLOPs: {flops / len(smiles) / 1e6:.0f} MFLOP per molecule per epoch (real tokens, training = 3 x "
        f"forward); matmul peak: float32 {peak / 1e9:.0f} GFLOP/s ({size} x {size} torch.mm, best of 5, before the "
        f"runs and after each repeat); the peak beside an epoch is the best of 3 such products right before it and 3 "
        f"right after it (the machine is shared, and its speed drifts)",
        "",
        f"| mode | molecules/s (median) | s/epoch (median) | ratio to {base} (median, min..max) | ratio to {base} "
        f"(geometric mean, 95% CI) | model GFLOP/s | % of float32 peak | % of the peak beside it (median, min..max) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode in modes:
        median = statistics.median(times[mode])
        ratios = [t / b for t, b in zip(times[mode], times[base])]
        shares = [100 * flops / t / peak_beside for t, peak_beside in zip(times[mode], beside[mode])]
        lines.append(
            f"| {mode} | {len(smiles) / median:,.0f} | {median:.2f} | {statistics.median(ratios):.3f} "
            f"({min(ratios):.3f}..{max(ratios):.3f}) | {_interval_text(times[mode], times[base])} | "
            f"{flops / median / 1e9:.1f} | "
            f"{100 * flops / median / peak:.0f}% | {statistics.median(shares):.0f}% "
            f"({min(shares):.0f}..{max(shares):.0f}%) |"
        )
    lines.append("")
    lines.append(
        f"Order (each mode's median ratio to {base}, in the repeats it ran before {base} / after it): "
        + "; ".join(
            f"{mode} {_order_medians(times[mode], times[base], ran_before_base[mode])}"
            for mode in modes
            if mode != base
        )
    )
    if fits:
        lines.append(
            f"Estimator fit of one epoch, set-up included (RDKit validation, tokenisation once per fit): "
            f"{statistics.median(fits):.2f} s median"
        )
    if "legacy" in times and "estimator" in times:
        speedups = [old / new for old, new in zip(times["legacy"], times["estimator"])]
        lines.append(
            f"Estimator epoch speed-up over the legacy loop (packed encoder, random batches): "
            f"{statistics.median(speedups):.2f}x median ({min(speedups):.2f}..{max(speedups):.2f}); "
            f"geometric mean {_interval_text(times['legacy'], times['estimator'], 'x', 2)}"
        )
    if output != "-":
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
