"""Render the Markdown result files of ``benchmarks/results/`` in the docs.

The benchmark scripts write small Markdown files: a few lines of text and
GitHub pipe tables.  Rather than depend on a Markdown parser, this extension
reads exactly that subset and builds docutils nodes, so the committed files
stay the single source of the published figures.

Directives
----------
``.. markdown-file:: PATH``
    One file; ``PATH`` is relative to the current document.  With
    ``:fallback: OTHER``, ``OTHER`` is rendered when ``PATH`` does not exist
    (for example a quick run's results until the full run is committed);
    the page is rebuilt once ``PATH`` appears.
``.. markdown-files:: GLOB``
    Every file matching ``GLOB`` (relative to the current document) except
    those matching a pattern of ``:exclude:`` (space-separated file-name
    patterns), each under a rubric with its file name.  With ``:title:``
    they go in a new section of that title (underlined with ``=``, so the
    directive must stand at the top level of the page), and ``:intro:`` is
    a sentence (reStructuredText) put before them.  Nothing at all is emitted when no file is
    left, so the page never shows an empty section.
``.. markdown-document:: PATH``
    A whole document such as ``CHANGELOG.md``: its ``#`` title is dropped
    (the page has its own), and its ``##`` and ``###`` headings become
    sections of the page (so they get anchors and a place in the page's
    table of contents) instead of rubrics.  It must stand at the top level
    of the page, after the page title.  Tables are not supported here.

Supported Markdown: ``#`` headings (rendered as rubrics), paragraphs (one
line each), ``-`` bullet lists, pipe tables with a ``|---|`` separator row,
and the inline ``**bold**`` and ```code``` forms.  A line that is a whole
HTML comment (``<!-- ... -->``) is skipped, so a file can carry notes for
its editors.  Table columns follow the
separator's alignment (``---:`` right); without markers, columns whose body
cells are all numbers are right-aligned.
"""

import fnmatch
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

_INLINE = re.compile(r"(\*\*[^*]+\*\*|`[^`]+`)")
_NUMBER = r"(?:[-+]?[\d.,]+(?:e[-+]?\d+)?|nan|inf)"
_NUMERIC = re.compile(rf"^[\s*]*{_NUMBER}(\s*(±|\.\.)\s*{_NUMBER})?[\s*]*$", re.IGNORECASE)
_COMMENT = re.compile(r"^<!--.*-->$")
_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _inline(text):
    """Text with ``**bold**`` and ```code``` turned into nodes."""
    out = []
    for piece in _INLINE.split(text):
        if not piece:
            continue
        if piece.startswith("**") and piece.endswith("**") and len(piece) > 4:
            out.append(nodes.strong(piece[2:-2], piece[2:-2]))
        elif piece.startswith("`") and piece.endswith("`") and len(piece) > 2:
            out.append(nodes.literal(piece[1:-1], piece[1:-1]))
        else:
            out.append(nodes.Text(piece))
    return out


def _cells(line):
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [cell.strip() for cell in line.split("|")]


def _table(lines, source):
    if len(lines) < 2 or not _SEPARATOR.match(lines[1]):
        raise ValueError(f"{source}: a pipe table needs a header row and a |---| separator row")
    header = _cells(lines[0])
    body = [_cells(line) for line in lines[2:]]
    width = len(header)
    for row in body:
        if len(row) != width:
            raise ValueError(f"{source}: table row {row!r} has {len(row)} cells, the header has {width}")
    marks = _cells(lines[1])
    if any(mark.startswith(":") or mark.endswith(":") for mark in marks):
        numeric = [mark.endswith(":") for mark in marks]
    else:
        numeric = [bool(body) and all(_NUMERIC.match(row[c]) for row in body) for c in range(width)]

    table = nodes.table(classes=["md-table"])
    group = nodes.tgroup(cols=width)
    table += group
    for _ in range(width):
        group += nodes.colspec(colwidth=1)

    def make_row(cells):
        row = nodes.row()
        for column, text in enumerate(cells):
            classes = ["md-num"] if numeric[column] else []
            if "±" in text:
                classes.append("md-nowrap")  # keep "mean ± std" on one line
            entry = nodes.entry(classes=classes)
            entry += nodes.paragraph("", "", *_inline(text))
            row += entry
        return row

    head = nodes.thead()
    head += make_row(header)
    group += head
    rows = nodes.tbody()
    for cells in body:
        rows += make_row(cells)
    group += rows
    return table


def markdown_nodes(text, source):
    """Docutils nodes for the supported Markdown subset of ``text``."""
    result, table_lines, bullets = [], [], None
    for line in text.splitlines() + [""]:
        if line.lstrip().startswith("|"):
            table_lines.append(line)
            continue
        if table_lines:
            result.append(_table(table_lines, source))
            table_lines = []
        stripped = line.strip()
        if stripped.startswith(("- ", "* ")):
            if bullets is None:
                bullets = nodes.bullet_list(bullet="-")
                result.append(bullets)
            item = stripped[2:].strip()
            bullets += nodes.list_item("", nodes.paragraph(item, "", *_inline(item)))
            continue
        bullets = None
        if not stripped or _COMMENT.match(stripped):
            continue
        if stripped.startswith("#"):
            title = stripped.lstrip("#").strip()
            result.append(nodes.rubric(title, "", *_inline(title)))
        else:
            result.append(nodes.paragraph(stripped, "", *_inline(stripped)))
    return result


class MarkdownFile(SphinxDirective):
    required_arguments = 1
    has_content = False
    option_spec = {"fallback": directives.unchanged_required}

    def _render(self, rel, path):
        self.env.note_dependency(rel)
        try:
            return markdown_nodes(Path(path).read_text(encoding="utf-8"), rel)
        except (OSError, ValueError) as exc:
            raise self.error(f"cannot render {rel}: {exc}") from exc

    def run(self):
        rel, path = self.env.relfn2path(self.arguments[0])
        if "fallback" in self.options and not Path(path).is_file():
            # a missing dependency marks the page outdated, so it is rebuilt
            # with PATH as soon as that file exists
            self.env.note_dependency(rel)
            rel, path = self.env.relfn2path(self.options["fallback"])
        container = nodes.container(classes=["md-file"])
        container.extend(self._render(rel, path))
        return [container]


class MarkdownFiles(MarkdownFile):
    option_spec = {"exclude": directives.unchanged, "intro": directives.unchanged, "title": directives.unchanged}

    def run(self):
        rel_glob, abs_glob = self.env.relfn2path(self.arguments[0])
        excluded = self.options.get("exclude", "").split()
        base = Path(abs_glob).parent
        rel_base = Path(rel_glob).parent
        # a file added later must trigger a rebuild of this page
        self.env.note_dependency(str(rel_base))
        out = []
        for path in sorted(base.glob(Path(abs_glob).name)):
            if any(fnmatch.fnmatch(path.name, pattern) for pattern in excluded):
                continue
            container = nodes.container(classes=["md-file"])
            container += nodes.rubric(path.name, "", nodes.literal(path.name, path.name))
            container.extend(self._render(str(rel_base / path.name), path))
            out.append(container)
        if out and self.options.get("intro"):
            intro = self.options["intro"]
            text_nodes, messages = self.state.inline_text(intro, self.lineno)
            out.insert(0, nodes.paragraph(intro, "", *text_nodes, *messages))
        if out and self.options.get("title"):
            title = self.options["title"]
            holder = nodes.Element()
            nested_parse_with_titles(self.state, StringList([title, "=" * len(title), ""]), holder)
            section = holder.children[0]
            section.extend(out)
            return [section]
        return out


_HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*$")
_CODE = re.compile(r"`([^`]+)`")
#: reST underline of a Markdown heading level; level 1 is the page's own title.
_UNDERLINES = {2: "=", 3: "-", 4: "~"}


def markdown_to_rst(text):
    """reST lines for the supported subset, with headings as sections.

    Paragraphs, ``-`` bullets and ``**bold**`` are already reST; ```code```
    becomes a literal.
    """
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if _COMMENT.match(stripped):
            continue
        heading = _HEADING.match(stripped)
        if heading:
            level, title = len(heading.group(1)), _CODE.sub(r"``\1``", heading.group(2))
            if level > 1:
                lines += ["", title, _UNDERLINES[level] * len(title), ""]
            continue
        lines.append(_CODE.sub(r"``\1``", line))
    return lines


class MarkdownDocument(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self):
        rel, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(rel)
        try:
            lines = markdown_to_rst(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise self.error(f"cannot read {rel}: {exc}") from exc
        holder = nodes.Element()
        nested_parse_with_titles(self.state, StringList(lines, source=rel), holder)
        return holder.children


def setup(app):
    app.add_directive("markdown-document", MarkdownDocument)
    app.add_directive("markdown-file", MarkdownFile)
    app.add_directive("markdown-files", MarkdownFiles)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
