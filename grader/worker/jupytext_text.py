"""A notebook as jupytext keeps it in a .py: its header, its cells in the "light" format, and the
magics it wrote as comments.

`jupytext --to py` and "Pair with light script" write the light format (`format_name: light` in
the header): no mark above most cells. A code cell is a run of lines that ends at a blank line
(unless the next code is indented: a blank line inside a def), a Markdown cell is a paragraph of
comments, and a cell that holds blank lines of its own is framed by `# +` and `# -`. Run as one
module, one broken cell (a syntax error, an endless training loop) cost every function of the
notebook, where its .ipynb scored 100 (probe s62). The rules here are read off jupytext's light
reader (src/jupytext/cell_reader.py, LightScriptCellReader), so the cells, and their numbers, are
the ones the .ipynb has.

In both its light and percent formats jupytext writes a magic or shell escape as a comment
(`# %matplotlib inline`, `# !pip install emoji`, `# files = !ls`) and uncomments it when it reads
the file back: the .ipynb runs it as IPython syntax, so the grader does too (it is then skipped
and named, and `files = !ls` gives `files` IPython's empty list, not a NameError later).

Only text is read here; nothing is run.
"""
from __future__ import annotations

import io
import re
import tokenize

_HEADER_EDGE = re.compile(r"^#[ \t]*---[ \t]*$")
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=]")
_FORMAT_NAME = re.compile(r"^#[ \t]+format_name:[ \t]*['\"]?(\w+)['\"]?[ \t]*$", re.MULTILINE)
_NO_COMMENTED_MAGICS = re.compile(r"^#[ \t]+comment_magics:[ \t]*false[ \t]*$", re.MULTILINE)
# A key at the header's top level other than `jupyter:` (a title, an author): jupytext makes
# those a raw cell of their own at the top of the notebook, which counts in its numbering.
_ROOT_KEY = re.compile(r"^#[ \t]?(?!jupyter:)[A-Za-z_][\w-]*:")

# `# +` opens an explicit cell (options after it: `# + [markdown]`, `# + tags=["x"]`), `# -`
# closes it.
_START = re.compile(r"^#\s*\+(.*)$")
_END = re.compile(r"^# -\s*$")
_BLANK = re.compile(r"^\s*$")
_TEXT_KINDS = ("[markdown]", "[md]", "[raw]")
# `# + active=""`: a raw cell of the notebook (active in no format, or not in the .ipynb's).
_INACTIVE = re.compile(r"\bactive\s*=\s*[\"']([^\"']*)[\"']")

# What jupytext takes for a magic (its magics.py, for Python), once its one `# ` is removed: a
# line or cell magic, a shell escape or help (`!ls`, `?obj`), `x = !cmd` or `x = %magic`, and
# the shell commands IPython's automagic runs without a `%` (`ls`, `cd dir`).
_MAGIC = re.compile(r"^\s*(?:# |#)*(?:%|%%|%%%)[a-zA-Z]")
_BASH_OR_HELP = re.compile(r"^\s*(?:(?:# |#)+\s*)?[?!]\s*[A-Za-z.~$\\/{}]")
_MAGIC_ASSIGN = re.compile(r"^(?:# |#)*\s*[a-zA-Z_][a-zA-Z_$0-9]*\s*=\s*(?:%|%%|%%%|!)[a-zA-Z]")
# In a cell with a mark above it (every percent cell, a light cell after `# +`), also `obj?`.
_HELP = re.compile(r"^\s*(?:# )*[^\s]*\?\s*$")
_SHELL_WORD = re.compile(r"^(?:# |#)*(?:cat|cd|cp|mv|rm|rmdir|mkdir|copy|ddir|echo|ls|ldir|ren)"
                         r"(?:$|\s$|\s[^=,])")


def header(text: str) -> str:
    """jupytext's YAML header at the top of the file (between two `# ---` lines), or ""."""
    lines = _lines(text[:40000])[:400]
    span = _header_span(lines)
    block = "\n".join(lines[span[0]:span[1] + 1]) if span else ""
    return block if "jupytext" in block else ""


def _header_span(lines: list[str]) -> tuple[int, int] | None:
    """The lines of the header's two `# ---` (below a `#!` line or a coding line, which jupytext
    keeps above it), or None."""
    first = 0
    while first < min(len(lines), 3) and (not lines[first].strip() or lines[first].startswith(
            "#!") or _CODING.match(lines[first])):
        first += 1
    if first >= len(lines) or not _HEADER_EDGE.match(lines[first]):
        return None
    for i in range(first + 1, len(lines)):
        if _HEADER_EDGE.match(lines[i]):
            return first, i
        if not lines[i].startswith("#"):
            return None
    return None


def format_name(text: str) -> str:
    """The format jupytext's header names ("light", "percent", ...), or ""."""
    found = _FORMAT_NAME.search(header(text))
    return found[1] if found else ""


def is_light(text: str) -> bool:
    """Whether a .py is a notebook jupytext wrote in its light format (its header says so)."""
    return format_name(text) == "light"


def magics_commented(text: str) -> bool:
    """Whether jupytext wrote the file's magics as comments (its default; a header may say
    `comment_magics: false`)."""
    return bool(header(text)) and not _NO_COMMENTED_MAGICS.search(header(text))


def is_commented_magic(line: str, marked: bool = False, shell_words: bool = False) -> bool:
    """Whether a comment line is a magic jupytext commented (it uncomments it when reading);
    `marked`: the line is in a cell with a mark above it. `shell_words`: `# ls`, `# cd dir`
    count too, as they do where jupytext cuts cells; they are not uncommented to run, since
    without IPython's automagic `cd into data` (a comment the student typed in the .py) is a
    SyntaxError, where it is skipped as a comment."""
    return (bool(_MAGIC.match(line) or _BASH_OR_HELP.match(line) or _MAGIC_ASSIGN.match(line)
                 or (shell_words and _SHELL_WORD.match(line)) or (marked and _HELP.match(line)))
            and line.lstrip().startswith("#"))


def uncomment_magics(cell: str, marked: bool = False) -> str:
    """The cell with each magic jupytext commented written back as IPython syntax, line for line
    (a line continued with a backslash goes with it). Only the cell's real comments are read:
    a line of a string that looks like one is left as it is. `marked`: the cell has a mark
    above it (`# %%`, `# +`)."""
    lines = cell.splitlines(keepends=True)
    if not any(is_commented_magic(line, marked) for line in lines):
        return cell  # most cells: not worth tokenizing
    comments = _comment_lines(cell, len(lines))
    following = False
    for index, line in enumerate(lines):
        if index not in comments:
            following = False
            continue
        if following or is_commented_magic(line, marked):
            body = line.lstrip()
            indent = line[:len(line) - len(body)]
            lines[index] = indent + (body[2:] if body.startswith("# ") else body[1:])
            following = line.rstrip("\r\n").endswith("\\")
        else:
            following = False
    return "".join(lines)


def _comment_lines(cell: str, count: int) -> set[int]:
    """The indexes of the lines that are comments of their own (nothing before the `#`); every
    line that begins with `#` when the cell does not tokenize (a syntax error elsewhere)."""
    found: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(cell).readline):
            if token.type == tokenize.COMMENT and not token.line[:token.start[1]].strip():
                found.add(token.start[0] - 1)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return {i for i, line in enumerate(cell.splitlines()) if line.lstrip().startswith("#")}
    return {i for i in found if i < count}


def light_cells(text: str) -> list[tuple[int, str, int, int, bool]]:
    """The cells of a light-format file: (number, kind "code" or "text", first line, end line,
    whether a `# +` marks it), lines counted from 0, the end excluded, a `# +` / `# -` mark left
    out of its cell. Numbered
    from 1 as the .ipynb jupytext makes of the file numbers them, Markdown cells counted (and the
    raw cell jupytext makes of the header's own keys, a title or an author)."""
    lines = _lines(text)
    start, number = _after_header(lines), 0
    block = header(text)
    if any(_ROOT_KEY.match(line) for line in block.splitlines()[1:-1]):
        number = 1
    # The next line that is not blank, from each line: a blank line ends a code cell unless the
    # code after it is indented, and looking ahead from every blank line was quadratic.
    next_code = [len(lines)] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        next_code[i] = i if not _BLANK.match(lines[i]) else next_code[i + 1]
    cells = []
    at = start
    while at < len(lines):
        kind, first, end, after, explicit = _one_cell(lines, at, next_code)
        number += 1
        cells.append((number, kind, first, end, first > at))
        at = _next_start(lines, after, explicit)
    return cells


def _lines(text: str) -> list[str]:
    """The file's lines as Python counts them (a lone form feed or a line separator in a comment
    ends no line), without their line ends."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    return lines[:-1] if text.endswith("\n") else lines


def _after_header(lines: list[str]) -> int:
    """The first line after jupytext's header, and after the blank line it writes below it."""
    span = _header_span(lines[:400])
    if span is None:
        return 0
    end = span[1]
    return end + 2 if end + 1 < len(lines) and _BLANK.match(lines[end + 1]) else end + 1


def _next_start(lines: list[str], after: int, explicit: bool) -> int:
    """Where the next cell starts: the blank line (two after an explicit cell) between two cells
    is no cell of its own."""
    if after + 1 < len(lines) and _BLANK.match(lines[after]) and not _BLANK.match(lines[after + 1]):
        return after + 1
    if explicit and after + 2 < len(lines) and _BLANK.match(lines[after]) and \
            _BLANK.match(lines[after + 1]) and not _BLANK.match(lines[after + 2]):
        return after + 2
    return max(after, 0)


def _one_cell(lines: list[str], at: int, next_code: list[int]) -> tuple[str, int, int, int, bool]:
    """(kind, first line, end line, where the reader goes on, whether `# -` ended it) of the
    cell that starts at line `at`."""
    opened = _START.match(lines[at])
    if opened:
        inactive = _INACTIVE.search(opened[1])
        kind = "text" if any(k in opened[1] for k in _TEXT_KINDS) or (
            inactive and "ipynb" not in inactive[1]) else "code"
        strings = _Strings()
        for i in range(at + 1, len(lines)):
            if strings.inside():
                strings.read(lines[i])
                continue
            strings.read(lines[i])
            if _START.match(lines[i]):
                return (kind, at + 1) + _before_blanks(lines, at, i) + (False,)
            if _END.match(lines[i]):
                return kind, at + 1, i, i + 1, True
        return kind, at + 1, len(lines), len(lines), False
    if _fully_commented(lines, at):
        for i in range(at, len(lines)):
            if _BLANK.match(lines[i]):
                return "text", at, i, i + 1, False
        return "text", at, len(lines), len(lines), False
    strings = _Strings()
    for i in range(at, len(lines)):
        if strings.inside():
            strings.read(lines[i])
            continue
        strings.read(lines[i])
        if _START.match(lines[i]) and i > at:
            return ("code", at) + _before_blanks(lines, at, i) + (False,)
        if _BLANK.match(lines[i]):
            following = next_code[i]
            if following < len(lines) and lines[following][:1] in (" ", "\t"):
                continue  # a blank line inside an indented block
            if i > at:
                return "code", at, i, i + 1, False
            # A blank line where a cell starts: an empty cell, as jupytext reads it.
            if i + 1 < len(lines) and not _BLANK.match(lines[i + 1]):
                return "code", at, at + 1, at + 1, False
            return "code", at, at + 1, at + 2, False
    return "code", at, len(lines), len(lines), False


def _before_blanks(lines: list[str], at: int, mark: int) -> tuple[int, int]:
    """(end of the cell, where the reader goes on) when a `# +` at line `mark` cuts it: up to
    two blank lines above the mark belong to neither cell."""
    if mark - 1 > at and _BLANK.match(lines[mark - 1]):
        if mark - 2 > at and _BLANK.match(lines[mark - 2]):
            return mark - 2, mark
        return mark - 1, mark
    return mark, mark


def _fully_commented(lines: list[str], at: int) -> bool:
    """Whether the paragraph from `at` is comments only, none of them a magic jupytext
    commented: a Markdown cell."""
    for i in range(at, len(lines)):
        line = lines[i]
        if line.startswith("#"):
            if line[1:].lstrip().startswith("#"):
                continue  # `# # A title`: Markdown, whatever follows
            if is_commented_magic(line, shell_words=True):
                return False
            continue
        return i > at and bool(_BLANK.match(line))
    return True


class _Strings:
    """Whether a line-by-line reader is inside a string that spans lines (triple-quoted, or a
    quote continued by a backslash): a blank line or a `# +` there is the string's text."""

    def __init__(self) -> None:
        self.quote = ""  # the open string's quote, or ""

    def inside(self) -> bool:
        return bool(self.quote)

    def read(self, line: str) -> None:
        i = 0
        while i < len(line):
            if self.quote:
                if line[i] == "\\":
                    i += 2
                    continue
                if line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = ""
                    continue
                i += 1
                continue
            char = line[i]
            if char == "#":
                return
            if char in "'\"":
                triple = char * 3
                self.quote = triple if line.startswith(triple, i) else char
                i += len(self.quote)
                continue
            i += 1
        if len(self.quote) == 1 and not line.rstrip("\r\n").endswith("\\"):
            self.quote = ""  # an unfinished one-line string ends with its line
