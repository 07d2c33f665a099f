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
import re
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skcmim import streaming
from skcmim.streaming import SmilesFile, smiles_lines

from conftest import SHARED_DATA, needs_shared

REPO = Path(__file__).resolve().parent.parent
needs_shared_data = needs_shared("esol_delaney.csv", "zinc_moses_test.csv.gz", "zinc_moses_train.csv.gz")
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
    others = data.draw(
        st.lists(
            FIELDS.filter(lambda f: streaming._header_key(f) not in streaming._SMILES_KEYS),
            min_size=n_columns - 1,
            max_size=n_columns - 1,
        )
    )
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
    lines=st.lists(st.tuples(SMILES, st.sampled_from(["", " ethanol", "\tname 2", " a, b"])), min_size=1, max_size=10),
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
        ('smiles,name\nCCO,"never closed\nCC,x\n', r"Line 2 of .* is not valid CSV.*opened there runs to line 3"),
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


# ------------------------------------------------------------------ headers
@pytest.mark.parametrize(
    "name", ["canonical_smiles", "Isomeric_SMILES", "SMI", "CanonicalSMILES", "Canonical SMILES", "smiles-string"]
)
def test_common_smiles_headers_are_recognised(tmp_path, name):
    path = _write(tmp_path / "mols.csv", f"id,{name},value\n1,CCO,2\n2,c1ccccc1O,3\n")
    assert list(SmilesFile(path).lines()) == ["CCO", "c1ccccc1O"]  # the header is not read as a molecule


def test_a_plain_smiles_column_is_preferred_to_other_smiles_headers(tmp_path):
    path = _write(tmp_path / "mols.csv", "canonical_smiles,smiles\nCCO,OCC\n")
    assert list(SmilesFile(path).lines()) == ["OCC"]


def test_a_header_without_a_smiles_column_is_an_error_listing_its_columns(tmp_path):
    path = _write(tmp_path / "mols.csv", "id,structure,weight\n1,CCO,46\n")
    with pytest.raises(
        ValueError,
        match=r"^Line 1 of .* neither a header with a SMILES column nor a molecule; its "
        r"fields are .*'id', 'structure', 'weight'.*smiles_column=NAME",
    ):
        list(SmilesFile(path).lines())
    assert list(SmilesFile(path, smiles_column="Structure").lines()) == ["CCO"]
    with pytest.raises(ValueError, match="has no column 'mol'"):
        list(SmilesFile(path, smiles_column="mol").lines())
    with pytest.raises(TypeError, match="smiles_column"):
        SmilesFile(path, smiles_column=1)


def test_a_file_without_a_header_must_start_with_a_molecule_unless_it_is_a_smi_file(tmp_path):
    pytest.importorskip("rdkit")
    assert list(SmilesFile(_write(tmp_path / "mols.csv", "CCO,1\nC1CC,2\n")).lines()) == ["CCO", "C1CC"]
    with pytest.raises(ValueError, match="neither a header with a SMILES column nor a molecule"):
        list(SmilesFile(_write(tmp_path / "bad.csv", "C1CC,1\nCCO,2\n")).lines())
    # a .smi file has no header: its first line is data even when invalid (the estimator reports that row)
    assert list(SmilesFile(_write(tmp_path / "mols.smi.gz", "C1CC x\nCCO y\n", compress=True)).lines()) == [
        "C1CC x",
        "CCO y",
    ]


@pytest.mark.parametrize("terminator", ["\n", "\r\n", "\r"])
def test_every_line_break_counts_one_line(tmp_path, terminator):
    lines = ["id,smiles", "1,CCO", "", "2,CCN", "3"]
    path = _write(tmp_path / "mols.csv", terminator.join(lines) + terminator)
    with pytest.raises(ValueError, match=r"^Line 5 of .* has 1 field"):
        list(SmilesFile(path).lines())
    path = _write(tmp_path / "ok.csv", terminator.join(lines[:-1]))  # no break after the last line
    assert list(SmilesFile(path).lines()) == ["CCO", "CCN"]


# The reader works on pieces of bounded size: any cut of the file must read as Python's csv reads the whole text.
LINE_BREAKS = st.sampled_from(["\n", "\r\n", "\r"])
ROWS = st.lists(
    st.one_of(
        st.just(""),
        st.just("  "),
        st.tuples(SMILES, FIELDS).map(lambda pair: _csv_text([pair], csv.QUOTE_MINIMAL, "").rstrip("\r\n")),
    ),
    max_size=12,
)


def _expected_rows(text):
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True, skipinitialspace=True)
    return [(reader.line_num, row) for row in reader if len(row) > 1 or (row and row[0].strip())]


@FILES
@given(
    rows=ROWS,
    breaks=st.lists(LINE_BREAKS, min_size=12, max_size=12),
    bom=st.booleans(),
    piece=st.integers(1, 9),
    final_break=st.booleans(),
)
def test_pieces_of_any_size_read_as_the_whole_text(monkeypatch, rows, breaks, bom, piece, final_break):
    text = "\ufeff" * bom + "smiles,name" + "".join(brk + row for brk, row in zip(breaks, rows))
    text += breaks[-1] if final_break else ""
    monkeypatch.setattr(streaming, "_PIECE_BYTES", piece)
    table = streaming.SmilesTable(_chunks(text.encode(), piece), "test")
    assert [(number, fields) for number, fields in table.rows()] == _expected_rows(text)[1:]


def _chunks(data, size):
    return (data[start : start + size] for start in range(0, len(data), size))


# ------------------------------------------------------------------ bounded work
MB = 1 << 20


def _gzip_of_repeats(path, head, unit, count):
    """A gzip file that decompresses to ``head + unit * count``, built without compressing all of it.

    After a full flush a deflate stream can be restarted, so the compressed
    ``unit`` is repeated as is.  The trailer's checksum is left zero: every
    reader of these files must stop long before it.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    segment = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    with open(path, "wb") as handle:
        handle.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + start)
        handle.writelines(segment for _ in range(count))
        handle.write(compressor.flush() + struct.pack("<II", 0, 0))
    return path


def _bounded(function, seconds=5, megabytes=None):
    """Run ``function``, which must raise ValueError; its message.  It must take under ``seconds`` and, when
    ``megabytes`` is given, allocate less (tracemalloc, which slows Python down, runs in a second call)."""
    start = time.perf_counter()
    with pytest.raises(ValueError) as error:
        function()
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, elapsed
    if megabytes is not None:
        tracemalloc.start()
        try:
            with pytest.raises(ValueError):
                function()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < megabytes * MB, peak
    return str(error.value)


def test_a_giant_line_in_a_small_gz_file_fails_fast_without_being_read_whole(tmp_path):
    # 2.7 GB in one line, 2.7 MB compressed
    path = _gzip_of_repeats(tmp_path / "bomb.csv.gz", b"smiles\nCCO\n", b"C" * MB, 2700)
    assert path.stat().st_size < 4 * MB
    message = _bounded(lambda: list(SmilesFile(path).lines()), megabytes=16)
    assert re.match(rf"^Line 3 of {re.escape(str(path))} is longer than 1,048,576 bytes", message)


def test_a_long_line_is_named_in_a_plain_file(tmp_path, monkeypatch):
    monkeypatch.setattr(streaming, "MAX_LINE_BYTES", 100)
    path = _write(tmp_path / "long.csv", "smiles\nCCO\n" + "C" * 100 + "\n\n" + "C" * 101 + "\nCCN\n")
    with pytest.raises(ValueError, match=r"^Line 5 of .* is longer than 100 bytes"):
        list(SmilesFile(path).lines())
    monkeypatch.setattr(streaming, "_PIECE_BYTES", 7)  # the long line arrives in pieces
    with pytest.raises(ValueError, match=r"^Line 5 of .* is longer than 100 bytes"):
        list(SmilesFile(path).lines())
    with pytest.raises(ValueError, match=r"^Line 2 of my stream is longer than 100 bytes"):
        list(smiles_lines(io.StringIO("smiles\n" + "C" * 500), source="my stream"))


def test_a_gz_file_of_blank_lines_fails_fast(tmp_path):
    # 1.3 GB of line breaks in 1.3 MB
    path = _gzip_of_repeats(tmp_path / "blank.csv.gz", b"smiles\nCCO\n", b"\n" * MB, 1300)
    message = _bounded(lambda: list(SmilesFile(path).lines()))
    assert re.match(rf"^Lines 3-100003 of {re.escape(str(path))} are blank, more than 100,000 blank lines", message)


def test_blank_lines_below_the_limit_are_skipped(tmp_path):
    path = _write(tmp_path / "gaps.smi", "CCO\n" + "\n" * streaming.MAX_BLANK_LINES + " \nCCN\n")
    with pytest.raises(ValueError, match="blank"):  # a blank line of spaces counts
        list(SmilesFile(path).lines())
    path = _write(tmp_path / "gaps.smi", "CCO\n" + "\n" * streaming.MAX_BLANK_LINES + "CCN\n")
    assert list(SmilesFile(path).lines()) == ["CCO", "CCN"]


@pytest.mark.parametrize("unit", [b"CCO\n", b"CCO\n" + b"\n" * 9_999], ids=["molecules", "molecules-and-blanks"])
def test_a_gz_file_that_expands_a_thousand_fold_is_a_bomb(tmp_path, unit):
    path = _gzip_of_repeats(tmp_path / "bomb.smi.gz", b"smiles\n", unit * (MB // len(unit)), 1000)
    message = _bounded(lambda: sum(1 for _ in SmilesFile(path).lines()))
    assert "expands more than 100-fold when decompressed" in message and str(path) in message


def test_real_gz_files_expand_far_less_than_the_limit(tmp_path):
    rng = np.random.default_rng(0)
    molecules = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C[C@@H](N)C(=O)O", "CCN(CC)CC", "O=C(O)c1ccccc1"]
    rows = [
        f"{molecules[i]},{value:.4f},ZINC{identifier:09d}\n"
        for i, value, identifier in zip(
            rng.integers(0, len(molecules), 160_000), rng.normal(size=160_000), rng.integers(0, 10**9, 160_000)
        )
    ]
    path = _write(tmp_path / "mols.csv.gz", "smiles,logp,id\n" + "".join(rows), compress=True)
    assert sum(1 for _ in SmilesFile(path).lines()) == len(rows)  # 5.6 MB, beyond the ratio's free 4 MiB
