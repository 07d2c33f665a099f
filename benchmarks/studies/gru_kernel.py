"""Would a hand-written GRU layer train faster than torch's? (issue 15: kernel-level gains)

One GRU layer of the SMILES models' size (36 steps, batch 128, input 64,
width 256), forward and backward, timed side by side, denormals flushed as
in training: ``torch.nn.GRU``; an ``autograd.Function`` whose forward
computes every step's input projection in one matrix product and whose
backward computes the weight gradients of all steps in one matrix product
each (as cuDNN does), with the per-step recurrence in a Python loop
("hand-written"); and skcmim's fused C++ kernel (:mod:`skcmim.gru`, the
same plan with each step's gate arithmetic in one pass), which SMILES models
train with where it is built: this environment's build
(``skcmim.gru.build_kernel()`` first), and with ``--compare-source`` other
versions of ``fused_gru.cpp`` built for the run, timed in the same rounds.
The gradients are checked against torch's first.

    python -c "from skcmim import gru; gru.build_kernel(verbose=True)"
    python benchmarks/studies/gru_kernel.py --threads 2
    python benchmarks/studies/gru_kernel.py --threads 1
    git show v0.1:skcmim/csrc/fused_gru.cpp > /tmp/old.cpp
    python benchmarks/studies/gru_kernel.py --threads 2 1 --compare-source /tmp/old.cpp

Writes ``benchmarks/results/gru_kernel/gru_kernel_cpu.md`` (the given thread counts);
``--output -`` writes nothing.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import gru
from skcmim.training import flush_denormals

from _common import machine, results_folder

RESULTS = results_folder(__file__)
T, B, E, H = 36, 128, 64, 256


class GRULayer(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh):
        gi = torch.addmm(b_ih, x.reshape(-1, x.shape[-1]), w_ih.t()).view(T, B, 3 * H)
        hs = x.new_empty(T + 1, B, H)
        hs[0] = h0
        rs = x.new_empty(T, B, H)
        zs = x.new_empty(T, B, H)
        ns = x.new_empty(T, B, H)
        ghn = x.new_empty(T, B, H)
        h = h0
        for t in range(T):
            gh = torch.addmm(b_hh, h, w_hh.t())
            ir, iz, in_ = gi[t].chunk(3, 1)
            hr, hz, hn = gh.chunk(3, 1)
            r = torch.sigmoid(ir + hr)
            z = torch.sigmoid(iz + hz)
            n = torch.tanh(torch.addcmul(in_, r, hn))
            h = torch.lerp(n, h, z)  # n + z*(h-n)
            rs[t], zs[t], ns[t], ghn[t], hs[t + 1] = r, z, n, hn, h
        ctx.save_for_backward(x, hs, rs, zs, ns, ghn, w_ih, w_hh)
        return hs[1:]

    @staticmethod
    def backward(ctx, dout):
        x, hs, rs, zs, ns, ghn, w_ih, w_hh = ctx.saved_tensors
        dgi = dout.new_empty(T, B, 3 * H)
        dgh = dout.new_empty(T, B, 3 * H)
        dh_next = torch.zeros_like(hs[0])
        for t in reversed(range(T)):
            dh = dout[t] + dh_next
            r, z, n, hp = rs[t], zs[t], ns[t], hs[t]
            dn_pre = dh * (1 - z) * (1 - n * n)
            dz_pre = dh * (hp - n) * z * (1 - z)
            dr_pre = dn_pre * ghn[t] * r * (1 - r)
            dgi[t, :, :H] = dr_pre
            dgi[t, :, H : 2 * H] = dz_pre
            dgi[t, :, 2 * H :] = dn_pre
            dgh[t, :, :H] = dr_pre
            dgh[t, :, H : 2 * H] = dz_pre
            dgh[t, :, 2 * H :] = dn_pre * r
            dh_next = torch.addmm(dh * z, dgh[t], w_hh)
        dgh2 = dgh.reshape(-1, 3 * H)
        dgi2 = dgi.reshape(-1, 3 * H)
        dw_hh = dgh2.t() @ hs[:-1].reshape(-1, H)
        db_hh = dgh2.sum(0)
        dw_ih = dgi2.t() @ x.reshape(-1, x.shape[-1])
        db_ih = dgi2.sum(0)
        dx = (dgi2 @ w_ih).view_as(x)
        return dx, dh_next, dw_ih, dw_hh, db_ih, db_hh


def _seconds(fn, grad, repeats=20):
    """Median seconds of forward + backward of ``fn``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        (fn() * grad).sum().backward()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def kernels(compare_sources, folder):
    """``{name: kernel module}``: this environment's build (if any), and each of ``compare_sources`` built in
    ``folder``."""
    found = {}
    if gru.kernel_path().is_file():
        found["fused"] = gru._load(gru.kernel_path())
    flags = gru._toolchain()[1] if compare_sources else []
    for number, source in enumerate(compare_sources):
        build = Path(folder, str(number))
        build.mkdir()
        built = gru._compile(Path(source).resolve(), build, flags, verbose=False, timeout=900)
        found[f"fused ({Path(source).name})"] = gru._load(built)
    return found


def measure(threads, extensions, rounds=3):
    """``{layer: (largest gradient difference from torch's, [seconds per round])}`` with ``threads`` threads, for
    torch's GRU, the hand-written layer and the kernel modules ``extensions`` (``{name: module}``)."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rnn = torch.nn.GRU(E, H)
    x, h0, grad = torch.randn(T, B, E, requires_grad=True), torch.zeros(B, H), torch.randn(T, B, H)
    weights = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0]
    layers = {"torch": lambda: rnn(x, h0[None])[0], "hand": lambda: GRULayer.apply(x, h0, *weights)}
    for name, extension in extensions.items():
        layers[name] = lambda extension=extension: gru._FusedGRU.apply(x, h0, *weights, True, extension)[0]
    gradients = {}
    with flush_denormals():
        for name, layer in layers.items():
            for tensor in [x, *weights]:
                tensor.grad = None
            (layer() * grad).sum().backward()
            gradients[name] = [tensor.grad.clone() for tensor in [x, *weights]]
        seconds = {name: [] for name in layers}
        for _ in range(rounds):
            for name, layer in layers.items():
                seconds[name].append(_seconds(layer, grad))
    return {
        name: (max((a - b).abs().max().item() for a, b in zip(gradients["torch"], gradients[name])), seconds[name])
        for name in layers
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    parser.add_argument(
        "--compare-source",
        nargs="*",
        default=[],
        help="other fused_gru.cpp files to build and time beside this environment's kernel",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per thread count (default: %(default)s)")
    parser.add_argument("--output", default=str(RESULTS / "gru_kernel_cpu.md"), help="report file; - for none")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        extensions = kernels(args.compare_source, folder)
        results = {threads: measure(threads, extensions, args.rounds) for threads in args.threads}
    command = " ".join(
        ["python benchmarks/studies/gru_kernel.py --threads", *map(str, args.threads)]
        + (["--rounds", str(args.rounds)] if args.rounds != 3 else [])
        + (["--compare-source", *args.compare_source] if args.compare_source else [])
    )
    lines = [
        "# Hand-written GRU layers against torch's, forward + backward",
        "",
        f"Command: `{command}` on {machine()}.",
        (
            f"One layer: {T} steps, batch {B}, input {E}, width {H}; medians of 20 passes per round, {args.rounds} "
            "rounds (the layers alternate within each); speed-up = torch's time / the layer's, round by round (above "
            "1: faster than torch's). hand-written: Python recurrence; fused: skcmim's C++ kernel (this "
            "environment's build; fused (FILE): FILE built for the run)."
        ),
        "",
        "| threads | layer | largest gradient difference from torch's | ms per round | speed-up per round |",
        "|---|---|---|---|---|",
    ]
    for threads in args.threads:
        torch_seconds = results[threads]["torch"][1]
        for name, (difference, seconds) in results[threads].items():
            if name == "torch":
                continue
            lines.append(
                f"| {threads} | {'hand-written' if name == 'hand' else name} | {difference:.1e} | "
                f"{', '.join(f'{b * 1e3:.1f}' for b in seconds)} (torch: "
                f"{', '.join(f'{a * 1e3:.1f}' for a in torch_seconds)}) | "
                f"{', '.join(f'{a / b:.2f}' for a, b in zip(torch_seconds, seconds))} |"
            )
    if "fused" in extensions:
        for name in extensions:
            if name == "fused":
                continue
            for threads in args.threads:
                ratios = [ours / other for ours, other in zip(results[threads]["fused"][1], results[threads][name][1])]
                lines.append(
                    f"\n{threads} threads: fused / {name} time per round: "
                    f"{', '.join(f'{r:.3f}' for r in ratios)} (median {statistics.median(ratios):.3f}; "
                    f"above 1: this environment's build is slower)"
                )
    if args.output != "-":
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
