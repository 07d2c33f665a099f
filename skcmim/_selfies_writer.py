"""SMILES to SELFIES exactly as ``selfies.encoder`` writes them, in less time.

``selfies.encoder`` is pure Python and, on a CPU, takes most of the time of
embedding molecules; much of it goes to a token object, a deque and an
attribution record per symbol, which the SELFIES do not need.  :func:`encode`
reads the SMILES with one regular expression and builds the same
``MolecularGraph``, by the same calls in the same order, as
``selfies.utils.smiles_utils.smiles_to_mol`` does; kekulisation, the bond
constraints and chirality are selfies' own code; the symbols are written by
selfies' walk over the graph, without its attribution records.  A SMILES
the fast reader is not sure of (anything ``smiles_to_mol`` would refuse, or
would read in a way not written here) goes to ``selfies.encoder`` itself, so
the result, or the error, is always selfies'.

The graph and writer functions used are selfies' internals, read from
selfies 2.1 and 2.2 (whose files are identical); other versions use
``selfies.encoder`` throughout.  ``tests/test_selfies_writer.py`` checks the
two agree on real molecules.  Imports only selfies and the standard library, so
the worker processes of ``n_jobs`` stay light.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, NamedTuple

import selfies

# one symbol of a SMILES and the bond written before it: "." | bond? (atom | bracket atom | ring | branch)
_SYMBOL = re.compile(r"\.|([-/\\:=#]?)(?:(Br|Cl|[A-Za-z])|(\[[^\]]*\])|(\d|%\d\d)|([()]))", re.ASCII)
_READ_VERSIONS = ("2.1.", "2.2.")


class _SelfiesParts(NamedTuple):
    """The selfies internals :func:`encode` calls."""

    encoder: Any  # the module selfies.encoder
    smiles_to_atom: Any
    smiles_to_bond: Any
    MolecularGraph: Any


def _selfies_parts():
    """selfies' internals where this version's were read, else None."""
    if not selfies.__version__.startswith(_READ_VERSIONS):
        return None
    smiles_utils = importlib.import_module("selfies.utils.smiles_utils")
    return _SelfiesParts(
        importlib.import_module("selfies.encoder"),
        smiles_utils.smiles_to_atom,
        smiles_utils.smiles_to_bond,
        importlib.import_module("selfies.mol_graph").MolecularGraph,
    )


_PARTS = _selfies_parts()


def encode(smiles: str) -> str:
    """``selfies.encoder(smiles)``; raises ``selfies.EncoderError`` where it does."""
    mol = None if _PARTS is None else _graph(smiles)
    if mol is None or not mol.kekulize():
        return selfies.encoder(smiles)
    encoder = _PARTS.encoder
    # the steps of selfies.encoder after it has read the SMILES (strict=True, attribute=False)
    encoder._check_bond_constraints(mol, smiles)
    for atom in mol.get_atoms():
        if (
            atom.chirality is not None
            and mol.has_out_ring_bond(atom.index)
            and encoder._should_invert_chirality(mol, atom)
        ):
            atom.invert_chirality()
    return ".".join("".join(_symbols(mol, None, root, encoder)) for root in mol.get_roots())


def _symbols(mol, bond_into_root, root, encoder):
    """The SELFIES symbols of the fragment at ``root``: ``encoder._fragment_to_selfies`` without attributions.

    selfies builds an attribution record for every symbol even when none is
    asked for; this is its walk without them (a chain, a branch for every
    bond but an atom's last, ring bonds from their second atom).
    """
    symbols = []
    bond_into, current = bond_into_root, root
    while True:
        symbols.append(encoder._atom_to_selfies(bond_into, mol.get_atom(current)))
        out_bonds = mol.get_out_dirbonds(current)
        for i, bond in enumerate(out_bonds):
            if bond.ring_bond:
                if bond.src < bond.dst:
                    continue
                length = encoder.get_selfies_from_index(bond.src - bond.dst - 1)
                reverse = mol.get_dirbond(src=bond.dst, dst=bond.src)
                symbols.append(f"[{encoder._ring_bonds_to_selfies(reverse, bond)}Ring{len(length)}]")
                symbols.extend(length)
            elif i == len(out_bonds) - 1:
                bond_into, current = bond, bond.dst
            else:
                branch = _symbols(mol, bond, bond.dst, encoder)
                length = encoder.get_selfies_from_index(len(branch) - 1)
                symbols.append(f"[{encoder._bond_to_selfies(bond, show_stereo=False)}Branch{len(length)}]")
                symbols.extend(length)
                symbols.extend(branch)
        if not out_bonds or out_bonds[-1].ring_bond:
            return symbols


def _graph(smiles):
    """The ``MolecularGraph`` selfies reads from ``smiles``, or None where it would refuse it.

    The same algorithm as ``smiles_to_mol`` (one fragment per ``.``; a stack
    of the atoms that open branches; ring numbers held open until closed),
    minus its error messages, which ``selfies.encoder`` gives on the fallback.
    """
    smiles_to_atom, smiles_to_bond = _PARTS.smiles_to_atom, _PARTS.smiles_to_bond
    mol = _PARTS.MolecularGraph()
    fragment = _Fragment()
    position = 0
    while position < len(smiles):
        match = _SYMBOL.match(smiles, position)
        if match is None:
            return None
        position = match.end()
        if match.group() == ".":
            if not fragment.closed(mol):
                return None
            fragment = _Fragment()
            continue
        bond, organic, bracket, ring, branch = match.groups()
        bond = bond or None
        previous = fragment.chain[-1]
        if organic or bracket:
            atom = smiles_to_atom(organic or bracket)
            if atom is None:
                return None
            mol.add_atom(atom, mark_root=previous is None)
            if previous is not None:
                order, stereo = smiles_to_bond(bond)
                if previous.is_aromatic and atom.is_aromatic and bond is None:
                    order = 1.5  # an implicit aromatic bond, as in "cc"
                mol.add_bond(src=previous.index, dst=atom.index, order=order, stereo=stereo)
            fragment.chain[-1] = atom
            fragment.chain_start = False
        elif fragment.chain_start or (branch and bond is not None):
            return None
        elif branch == "(":
            fragment.chain.append(previous)
            fragment.chain_start = True
        elif branch == ")":
            if len(fragment.chain) == 1:
                return None
            fragment.chain.pop()
        elif ring not in fragment.rings:
            fragment.rings[ring] = (bond, previous, mol.add_placeholder_bond(src=previous.index))
        elif not _close_ring(mol, *fragment.rings.pop(ring), bond, previous, smiles_to_bond):
            return None
    return mol if fragment.closed(mol) else None


class _Fragment:
    """What reading one ``.``-separated fragment keeps: the chain's atoms (one per open branch), open rings."""

    def __init__(self):
        self.chain = [None]
        self.chain_start = True
        self.rings = {}

    def closed(self, mol):
        # selfies asks for atoms in the whole graph so far, not in this fragment
        return len(mol) > 0 and len(self.chain) == 1 and not self.rings


def _close_ring(mol, left_bond, left_atom, left_position, right_bond, right_atom, smiles_to_bond):
    """Add the ring bond as ``_make_ring_bonds`` does; False where it would refuse it."""
    if mol.has_bond(left_atom.index, right_atom.index):
        return False
    bonds = (left_bond, right_bond) if left_bond is not None else (right_bond, left_bond)
    if not (bonds[0] == bonds[1] or bonds[1] is None or all(b in ("/", "\\") for b in bonds)):
        return False
    left_order, left_stereo = smiles_to_bond(left_bond)
    right_order, right_stereo = smiles_to_bond(right_bond)
    if left_atom.is_aromatic and right_atom.is_aromatic and bonds == (None, None):
        left_order = right_order = 1.5  # implicit aromatic ring bond, as in "c1ccccc1"
    mol.add_ring_bond(
        a=left_atom.index,
        a_stereo=left_stereo,
        a_pos=left_position,
        b=right_atom.index,
        b_stereo=right_stereo,
        order=max(left_order, right_order),
    )
    return True
