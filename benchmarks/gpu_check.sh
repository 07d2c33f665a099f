#!/usr/bin/env bash
# The device check of a session lent a GPU: one script whose steps' time limits add up to 8.5 minutes,
# that writes its results under $OUT (see the device tool's README in the tool library). CI has no GPU and
# never runs it.
#
# 1. Here, once per session (the device's image has torch, scikit-learn, pandas and hypothesis, but not
#    rdkit, skorch or selfies, and the shared data folder does not travel with the checkout):
#
#        bash benchmarks/gpu_check.sh prepare
#
#    downloads those wheels for the device's Python 3.12 into .whl/ and writes the ZINC rows the
#    benchmarks read into .gpu_data/ (both git-ignored through .git/info/exclude; 31 MB of wheels, 0.5 MB of data).
# 2. Then, on the device: run(command="bash benchmarks/gpu_check.sh", carry=[".whl", ".gpu_data"],
#    timeout_s=590). It runs the GPU tests, times pretrained.load + transform of 10,000 SMILES on the GPU
#    for three batch sizes (skcmim.inputs.smiles.INFERENCE_ROWS), and SMILES training throughput on the
#    GPU (estimator, hand-written loop, the 0.1 loop), each step under its own time limit, so that one
#    failure leaves the others' results.
# A dry run of the plumbing here, on the CPU and small, without `prepare` (the hand-written loop trains with the
# fused GRU kernel on the CPU, so it is left out unless `skcmim build-kernel` has run):
#     DEVICE=cpu ROWS=256 SMILES=500 MODES=estimator,legacy DATA=../shared/data OUT=/tmp/gpu_check \
#         bash benchmarks/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "prepare" ]; then
    set -e
    for folder in /.whl/ /.gpu_data/; do
        grep -qxF "$folder" .git/info/exclude 2>/dev/null || echo "$folder" >> .git/info/exclude
    done
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl rdkit skorch selfies
    data=${SKCMIM_DATA:-../shared/data}
    mkdir -p .gpu_data
    # the first rows only, which is what the benchmarks read (zcat stops early when head has its rows)
    (zcat "$data/zinc_moses_train.csv.gz" || true) | head -n 40001 | gzip > .gpu_data/zinc_moses_train.csv.gz
    (zcat "$data/zinc_moses_test.csv.gz" || true) | head -n 20001 | gzip > .gpu_data/zinc_moses_test.csv.gz
    du -sh .whl .gpu_data
    exit 0
fi

OUT=${OUT:-gpu_check_out} DEVICE=${DEVICE:-cuda} ROWS=${ROWS:-16384} SMILES=${SMILES:-10000}
MODES=${MODES:-estimator,hand,legacy} DATA=$(realpath "${DATA:-.gpu_data}")
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 SKCMIM_DATA=$DATA
export PYTHONPATH=$PWD
if ! python3 -c "import rdkit, skorch, selfies" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl \
        || { echo "installing the wheels failed" | tee "$OUT/failed.txt"; exit 1; }
    export PYTHONPATH=/tmp/site:$PWD
fi

{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    python3 -c "import torch, sklearn, skorch, rdkit; print('torch', torch.__version__, 'cuda', torch.version.cuda,
'scikit-learn', sklearn.__version__, 'skorch', skorch.__version__, 'rdkit', rdkit.__version__)"
    nproc
} > "$OUT/environment.txt" 2>&1

# the GPU tests, and the tests of the SMILES network and of the pretrained models on this machine
timeout 120 python3 -m pytest -q -p no:cacheprovider tests/test_gpu.py tests/test_networks_smiles.py \
    tests/test_pretrained.py > "$OUT/tests.txt" 2>&1
echo "tests: exit $?" >> "$OUT/summary.txt"

# pretrained.load + transform of $SMILES SMILES on the GPU, per batch size (the molecules are read on 8 processes)
for rows in 512 4096 16384; do
    timeout 80 python3 benchmarks/speed/pretrained_speed.py --model cmim-zinc --device "$DEVICE" --batch-rows "$rows" \
        --n-smiles "$SMILES" --threads 8 --n-jobs 8 --data "$DATA" >> "$OUT/pretrained_speed_$DEVICE.jsonl" \
        2>> "$OUT/pretrained_speed_errors.txt"
    echo "pretrained_speed --batch-rows $rows: exit $?" >> "$OUT/summary.txt"
done

# SMILES training on the GPU: the estimator against the hand-written loop with the same batching
timeout 150 python3 benchmarks/speed/smiles_speed.py --device "$DEVICE" --rows "$ROWS" --repeats 5 \
    --modes "$MODES" --output "$OUT/smiles_speed_$DEVICE.md" > "$OUT/smiles_speed_log.txt" 2>&1
echo "smiles_speed: exit $?" >> "$OUT/summary.txt"
cat "$OUT/summary.txt"
