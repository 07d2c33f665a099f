"""SmilesFile reads SMILES files as CSV: quoting, headers, BOM, gzip, bad files.

Files are written with Python's csv writer (hypothesis draws the fields,
the header, the SMILES column's position and case, quoting, line endings, a
byte order mark and gzip), so the expected SMILES are known by construction.
A malformed file must give a ValueError naming the file and the line, never
a silently dropped, merged or shifted row.  The MOSES ZINC files and ESOL
from the shared data must read exactly as a plain reading of them does.
"""

import csv
import gzip
import io
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skcmim.streaming import SmilesFile, smiles_lines

REPO = Path(__file__).resolve().parent.parent
_DATA_FOLDERS = [os.environ.get("SKCMIM_DATA"), REPO.parent / "shared" / "data", "/work/shared/data"]
SHARED_DATA = next((Path(f) for f in _DATA_FOLDERS if f and (Path(f) / "esol_delaney.csv").is_file()), None)
needs_shared_data = pytest.mark.skipif(SHARED_DATA is None, reason="needs the shared data (SKCMIM_DATA)")
FILES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# SMILES never hold a comma, a quote or a blank; these are real ones with
# the characters that matter to a tokenizer, plus odd but quotable strings.
SMILES = st.one_of(
    st.sampled_from(["CCO", "c1ccccc1O", "C[C@@H](N)C(=O)O", "F/C=C\\F", "[Na+].[Cl-]", "C1CC1%10CC%10", "*C"]),
    st.text(alphabet="CNOScno()[]=#@+-/\\%0123456789.H", min_size=1, max_size=20),
)
# Other fields may hold anything a CSV writer can quote, except line breaks
# (a field spanning lines is refused, see below) and NUL.
FIELDS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\r\n\x00"), max_size=12
)


def _write(path, text, *, bom=False, compress=False):
    data = ("\ufeff" if bom else "").encode() + text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def _csv_text(rows, quoting, terminator):
    buffer = io.StringIO()
    csv.writer(buffer, quoting=quoting, lineterminator=terminator).writerows(rows)
    return buffer.getvalue()


def _case(data):
    """Header and rows of a CSV file with a smiles column somewhere, and its SMILES."""
    n_columns = data.draw(st.integers(1, 4), label="columns")
    column = data.draw(st.integers(0, n_columns - 1), label="smiles column")
    name = data.draw(st.sampled_from(["smiles", "SMILES", "Smiles", " smiles "]))
    others = data.draw(st.lists(FIELDS.filter(lambda f: f.strip().lower() != "smiles"),
                                min_size=n_columns - 1, max_size=n_columns - 1))
    header = others[:column] + [name] + others[column:]
    smiles = data.draw(st.lists(SMILES, max_size=12), label="smiles")
    rows = []
    for text in smiles:
        fields = data.draw(st.lists(FIELDS, min_size=n_columns - 1, max_size=n_columns - 1))
        rows.append(fields[:column] + [text] + fields[column:])
    return header, rows, smiles


@FILES
@given(
    data=st.data(),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    terminator=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    compress=st.booleans(),
)
def test_csv_files_give_their_smiles_column(tmp_path, data, quoting, terminator, bom, compress):
    header, rows, smiles = _case(data)
    path = tmp_path / ("mols.csv.gz" if compress else "mols.csv")
    _write(path, _csv_text([header, *rows], quoting, terminator), bom=bom, compress=compress)
    assert list(SmilesFile(path).lines()) == smiles
    n = data.draw(st.integers(0, len(smiles)), label="n_samples")
    assert [s for chunk in SmilesFile(path, chunk_size=3, n_samples=n) for s in chunk] == smiles[:n]


@FILES
@given(data=st.data(), short_at=st.integers(0, 11))
def test_a_short_row_names_its_line_and_file(tmp_path, data, short_at):
    header, rows, _ = _case(data)
    column = next(i for i, field in enumerate(header) if field.strip().lower() == "smiles")
    if column == 0:  # every non-blank row has a first field
        header, rows = ["id", *header], [["7", *row] for row in rows]
        column = 1
    short_at = min(short_at, len(rows))
    rows.insert(short_at, [f"x{i}" for i in range(column)])
    path = _write(tmp_path / "short.csv", _csv_text([header, *rows], csv.QUOTE_MINIMAL, "\n"))
    expected = rf"^Line {short_at + 2} of {re.escape(str(path))} has {column} field\(s\), .*field {column + 1}:"
    with pytest.raises(ValueError, match=expected):
        list(SmilesFile(path).lines())


@FILES
@given(
    lines=st.lists(st.tuples(SMILES, st.sampled_from(["", " ethanol", "\tname 2", " a, b"])), min_size=1,
                   max_size=10),
    header=st.sampled_from(["", "SMILES\n", "smiles Name\n", "SMILES\tID\n"]),
    blank_lines=st.booleans(),
)
def test_smi_files_give_one_smiles_per_line(tmp_path, lines, header, blank_lines):
    separator = "\n\n" if blank_lines else "\n"
    path = _write(tmp_path / "mols.smi", header + separator.join(s + name for s, name in lines) + "\n")
    read = list(SmilesFile(path).lines())
    # the name after a blank stays (to_smiles ignores it); a comma in it ends the field
    assert [text.split()[0] for text in read] == [s for s, _ in lines]
    assert len(read) == len(lines)


@FILES
@given(
    n_before=st.integers(0, 6),
    bad=st.sampled_from([b"\xff", b"\xe9", b"\xc3(", b"\xed\xa0\x80", b"\x80abc"]),
    compress=st.booleans(),
)
def test_a_line_that_is_not_utf8_is_named(tmp_path, n_before, bad, compress):
    data = "SMILES,name\n" + "CCO,x\n" * n_before
    path = tmp_path / ("latin.csv.gz" if compress else "latin.csv")
    raw = data.encode() + b"CC," + bad + b"\nCCN,y\n"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(ValueError, match=rf"^Line {n_before + 2} of {re.escape(str(path))} is not UTF-8 text"):
        list(SmilesFile(path).lines())


def test_a_gz_file_that_is_not_gzip_is_named(tmp_path):
    path = _write(tmp_path / "plain.csv.gz", "SMILES\nCCO\n")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))} is not a gzip file"):
        list(SmilesFile(path).lines())
    truncated = tmp_path / "truncated.csv.gz"
    truncated.write_bytes(gzip.compress(b"SMILES\n" + b"CCO\n" * 1000)[:-12])
    with pytest.raises(ValueError, match=rf"^{re.escape(str(truncated))} is a damaged or truncated gzip file"):
        list(SmilesFile(truncated).lines())


@pytest.mark.parametrize(
    "text, message",
    [
        ('smiles,name\nCCO,"never closed\nCC,x\n', r"Line 3 of .* is not valid CSV"),
        ('smiles,name\nCCO,"open\nCC,x"\nCCN,y\n', r"Lines 2-3 of .* form one CSV row"),
        ('smiles,name\n"CCO"x,1\n', r"Line 2 of .* is not valid CSV"),
    ],
)
def test_broken_quotes_are_errors_not_merged_rows(tmp_path, text, message):
    path = _write(tmp_path / "quotes.csv", text)
    with pytest.raises(ValueError, match=message):
        list(SmilesFile(path).lines())


def test_blank_lines_are_skipped_but_empty_smiles_are_kept(tmp_path):
    path = _write(tmp_path / "gaps.csv", "name,smiles\n\na,CCO\nb,\n  \nc, c1ccccc1 \n")
    assert list(SmilesFile(path).lines()) == ["CCO", "", "c1ccccc1"]  # the estimator names the empty row


def test_smiles_lines_reads_any_text_stream():
    assert list(smiles_lines(io.StringIO('id,SMILES\n1,"CCO"\n'))) == ["CCO"]
    with pytest.raises(ValueError, match="^Line 2 of my stream has 1 field"):
        list(smiles_lines(io.StringIO("id,SMILES\n1\n"), source="my stream"))


def _plain_lines(path, n):
    """The first n SMILES of a one-column file, read without the csv module."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        assert handle.readline().strip() == "SMILES"
        return [handle.readline().strip() for _ in range(n)]


@needs_shared_data
@pytest.mark.parametrize("split", ["train", "test"])
def test_moses_zinc_streams_as_before(split):
    path = SHARED_DATA / f"zinc_moses_{split}.csv.gz"
    expected = _plain_lines(path, 500)
    assert list(SmilesFile(path, n_samples=500).lines()) == expected
    assert [s for chunk in SmilesFile(path, chunk_size=64, n_samples=500) for s in chunk] == expected


@needs_shared_data
@pytest.mark.parametrize("name, n_rows", [("esol_delaney.csv", 1128), ("lipophilicity.csv", 4200)])
def test_moleculenet_csv_gives_its_smiles_column(name, n_rows):
    path = SHARED_DATA / name
    with open(path, newline="", encoding="utf-8") as handle:
        expected = [row["smiles"].strip() for row in csv.DictReader(handle)]
    read = list(SmilesFile(path).lines())
    assert len(read) == n_rows and read == expected
