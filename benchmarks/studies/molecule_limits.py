"""Time RDKit on the worst molecule shapes, at and beyond skcmim's limits.

The limits of :mod:`skcmim.molecules` (``MAX_SMILES_LENGTH``, ``MAX_ATOMS``,
``MAX_RINGS``) bound the time RDKit spends on one molecule.  For each shape
this prints the best of three timings (one when it takes over 5 s) of

* ``rdkit``: ``Chem.MolFromSmiles`` then ``Chem.MolToSmiles``, no limits;
* ``to_smiles``: :func:`skcmim.molecules.to_smiles` on a one-row list, which
  checks the limits first (``refused`` when the shape is over one).

Every shape runs in its own subprocess, so that a crash inside RDKit (a
chain of 20,000 atoms segfaults) or a slow case (``--timeout``) is reported
instead of ending the script.  ``--shapes beyond`` times shapes over the
limits (minutes of RDKit time in all).

Usage::

    python benchmarks/studies/molecule_limits.py [--shapes {limits,beyond,all}] [--timeout 30]

Appends its table as a section of ``benchmarks/results/molecule_limits/molecule_limits.md``
(``--output -``: print only).
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from rdkit import Chem

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim.molecules import MAX_ATOMS, MAX_RINGS

from _common import machine, results_folder

RESULTS = results_folder(__file__)

_CHILD = r"""
import json, sys, time
from rdkit import Chem, rdBase
from skcmim.molecules import to_smiles
case = json.loads(sys.stdin.read())
text = case["smiles"]
make = (lambda: Chem.AddHs(Chem.MolFromSmiles(text))) if case["explicit_h"] else (lambda: text)

def best(run):
    times = []
    while len(times) < 3 and sum(times) < 5:  # one run of a slow case is enough
        value = make()
        start = time.perf_counter()
        result = run(value)
        times.append(time.perf_counter() - start)
    return min(times), result

def rdkit(value):
    with rdBase.BlockLogs():
        mol = value if isinstance(value, Chem.Mol) else Chem.MolFromSmiles(value)
        return Chem.MolToSmiles(Chem.RemoveHs(mol))

mode = rdkit if case["mode"] == "rdkit" else (lambda value: to_smiles([value], on_invalid="nan"))
seconds, result = best(mode)
print(json.dumps({"seconds": seconds, "valid": case["mode"] == "rdkit" or bool(result[1][0])}))
"""


def ring_tag(number):
    """The SMILES ring-bond label of a ring number (``1``, ``%12``, ``%(123)``)."""
    return str(number) if number < 10 else f"%{number}" if number < 100 else f"%({number})"


def chain(n):
    return "C" * n


def nested_branches(n):
    """n + 1 atoms, branches nested n deep."""
    return "C(" * n + "C" + ")" * n


def macrocycle(n, aromatic=False):
    atom = "c" if aromatic else "C"
    return f"{atom}1" + atom * (n - 2) + f"{atom}1"


def spans(n, n_rings):
    """A chain of n atoms; atom i closes a ring to atom n - 1 - i for i < n_rings (nested macrocycles)."""
    parts = ["C"] * n
    for i in range(n_rings):
        parts[i] += ring_tag(i + 1)
        parts[n - 1 - i] += ring_tag(i + 1)
    return "".join(parts)


def dense_cage(n, step=5):
    """Each atom bonds to the atom ``step`` further on: n - step rings of n atoms, every atom of degree 4."""
    open_rings, free, parts = {}, list(range(1, 100)), []
    for i in range(n):
        tag = ""
        if i - step in open_rings:
            number = open_rings.pop(i - step)
            tag += ring_tag(number)
            free = sorted(free + [number])
        if i + step < n:
            open_rings[i] = free.pop(0)
            tag += ring_tag(open_rings[i])
        parts.append("C" + tag)
    return "".join(parts)


def polyene(n):
    """n stereo double bonds in a row (2n + 2 atoms)."""
    return "C" + "/C=C" * n + "/C"


def stereo_chain(n):
    """n stereocentres (2n + 2 atoms)."""
    return "C" + "[C@H](C)" * n + "C"


def _from_edges(n_atoms, edges):
    mol = Chem.RWMol()
    for _ in range(n_atoms):
        mol.AddAtom(Chem.Atom(6))
    for a, b in edges:
        mol.AddBond(a, b, Chem.BondType.SINGLE)
    mol = mol.GetMol()
    Chem.SanitizeMol(mol)
    return Chem.MolToSmiles(mol, canonical=False)


def square_grid(side):
    """side x side carbons, (side - 1)^2 rings."""
    at = lambda x, y: y * side + x  # noqa: E731
    edges = [(at(x, y), at(x + 1, y)) for y in range(side) for x in range(side - 1)]
    edges += [(at(x, y), at(x, y + 1)) for y in range(side - 1) for x in range(side)]
    return _from_edges(side * side, edges)


def ladder(n):
    """Two chains of n atoms joined at every atom: n - 1 fused four-membered rings."""
    edges = [(i, i + 1) for i in range(n - 1)] + [(n + i, n + i + 1) for i in range(n - 1)]
    return _from_edges(2 * n, edges + [(i, n + i) for i in range(n)])


def shapes(which):
    """(name, SMILES, with explicit hydrogens) of the shapes to time: "limits", "beyond" or "all"."""
    step = 5
    at_limits = [
        (f"chain of {MAX_ATOMS}", chain(MAX_ATOMS), False),
        (f"branches nested {MAX_ATOMS - 1} deep", nested_branches(MAX_ATOMS - 1), False),
        (f"macrocycle of {MAX_ATOMS}", macrocycle(MAX_ATOMS), False),
        (f"aromatic macrocycle of {MAX_ATOMS}", macrocycle(MAX_ATOMS, aromatic=True), False),
        (f"{MAX_RINGS} nested macrocycles, {MAX_ATOMS} atoms", spans(MAX_ATOMS, MAX_RINGS), False),
        (f"dense cage, {MAX_RINGS} rings", dense_cage(MAX_RINGS + step, step), False),
        ("square grid 15 x 15 (196 rings)", square_grid(15), False),
        ("ladder of 2 x 200 atoms (199 rings)", ladder(200), False),
        (f"polyene, {MAX_ATOMS // 2 - 1} stereo double bonds", polyene(MAX_ATOMS // 2 - 1), False),
        (f"{MAX_ATOMS // 2 - 1} stereocentres", stereo_chain(MAX_ATOMS // 2 - 1), False),
        (f"chain of {MAX_ATOMS}, explicit H (Mol)", chain(MAX_ATOMS), True),
        (f"{MAX_ATOMS} methanes, explicit H (Mol)", ".".join(["C"] * MAX_ATOMS), True),
    ]
    over_limits = [
        ("chain of 20,000", chain(20_000), False),
        ("branches nested 20,000 deep", nested_branches(20_000), False),
        ("macrocycle of 15,000", macrocycle(15_000), False),
        ("dense cage, 500 rings", dense_cage(500 + step, step), False),
        ("dense cage, 700 rings", dense_cage(700 + step, step), False),
        ("2,000 methanes, explicit H (Mol)", ".".join(["C"] * 2_000), True),
    ]
    return {"limits": at_limits, "beyond": over_limits, "all": at_limits + over_limits}[which]


def time_case(smiles, explicit_h, mode, timeout):
    """Seconds (best of 3) and validity of one shape, or why there is no timing."""
    case = json.dumps({"smiles": smiles, "explicit_h": explicit_h, "mode": mode})
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD], input=case, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return f"> {timeout:g} s"
    if done.returncode != 0:
        return f"crash (exit {done.returncode})" if done.returncode < 0 else f"error: {done.stderr.strip()[-80:]}"
    result = json.loads(done.stdout)
    text = f"{result['seconds']:.3f} s"
    return text if result["valid"] else f"refused in {text}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--shapes",
        choices=("limits", "beyond", "all"),
        default="limits",
        help="shapes at the limits, over them, or both",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a case is stopped")
    parser.add_argument(
        "--output",
        default=str(RESULTS / "molecule_limits.md"),
        help="report file, a section appended (default: benchmarks/results/molecule_limits/"
        "molecule_limits.md); - for none",
    )
    args = parser.parse_args()
    lines = ["| shape | characters | rdkit | to_smiles |", "|---|---|---|---|"]
    print("\n".join(lines))
    for name, smiles, explicit_h in shapes(args.shapes):
        timings = [time_case(smiles, explicit_h, mode, args.timeout) for mode in ("rdkit", "to_smiles")]
        lines.append(f"| {name} | {len(smiles):,} | {timings[0]} | {timings[1]} |")
        print(lines[-1], flush=True)
    if args.output != "-":
        command = f"python benchmarks/studies/molecule_limits.py --shapes {args.shapes} --timeout {args.timeout:g}"
        section = [
            f"## Shapes {args.shapes}",
            "",
            f"`{command}`; {machine()}, load average "
            f"{os.getloadavg()[0]:.1f} at the end (best of 3 per shape, each in a subprocess).",
            "",
            *lines,
        ]
        with open(args.output, "a", encoding="utf-8") as handle:
            handle.write("\n" + "\n".join(section) + "\n")


if __name__ == "__main__":
    main()
