"""Python 2 source that Python 3 refuses, read as Python 2 meant it: print statements as the print
calls they meant, the other statements and tokens Python 3 dropped in their Python 3 spelling, and
indentation that mixes tabs and spaces as Python 2 expanded it.

The 2017 starter code is Python 2: its test functions say `print "Running basic tests..."`, and a
submission finished in Python 2 keeps them. Python 3 refuses the whole file ("Missing parentheses
in call to 'print'"), so every function in it scored 0, right or wrong. Source that does not
compile is rewritten here and used only if it then compiles; the loader reports which lines were
rewritten, form by form. Each statement keeps its lines (a multi-line print stays on the same
lines), so every traceback and message points where the student wrote it.

    print                    ->  print()
    print x, y               ->  print(x, y)
    print x,                 ->  print(x, end=" ")      (Python 2's trailing comma: no newline)
    print >>f, x             ->  print(x, file=f)
    except E, e:             ->  except E as e:
    raise E, message         ->  raise E(message)       (raise E, (a, b): E(*(a, b)), as Python 2)
    exec code                ->  exec(code)
    exec code in g, l        ->  exec(code, g, l)
    exec (code) in g         ->  exec((code), g)
    `x`                      ->  repr((x))
    a <> b                   ->  a != b
    0777, 10L                ->  0o777, 10
    ur"..."                  ->  r"..."                 (where it holds no unicode escape)

Tokens are fixed first, statements then, on the source the first pass left: a print statement
holding a backquote is rewritten whole. The tokenizer reads these forms differently from one
Python to the next (3.12 reads `<>` and `0777` as one token, 3.11 as two), and both are handled.

Two forms compile in Python 3 too: `print >>f, x` is a tuple there (`print >> f` and `x`), which
raises TypeError when it runs, and `exec (code) in ns` runs the code in the current namespace,
then tests `None in ns`. A file that compiles is rewritten where it holds one, print and exec
statements only (recheck s61: one debug line in softmax of a valid Python 2 file cost 50 of 100).
"""
from __future__ import annotations

import ast
import functools
import io
import re
import tokenize

# Tokens after `print` that make it a name (print = ..., print.x, print[0]) or a call already.
_NOT_A_STATEMENT = {"(", "=", ".", "[", "+=", "-=", "*=", "/=", ":", ",", ")", "]", "}"}


# The forms rewritten, by the name the load report gives them: how a warning names each, and
# what to write in Python 3 (grader/session.py words the warning).
FORMS = {
    "print": ("print statements", "print(...)"),
    "except": ("`except E, e:`", "`except E as e:`"),
    "raise": ("`raise E, message`", "`raise E(message)`"),
    "exec": ("`exec code` (`exec code in namespace`)", "`exec(code)` (`exec(code, namespace)`)"),
    "backquote": ("backquotes `x`", "`repr(x)`"),
    "not_equal": ("`<>`", "`!=`"),
    "octal": ("octal literals such as `0777`", "`0o777`"),
    "long": ("long literals such as `10L`", "`10`"),
    "ur_string": ('`ur"..."` strings', '`r"..."`'),
}


def rewrite(source: str) -> tuple[str, dict[str, list[int]]] | None:
    """(the source with each Python 2 form in its Python 3 spelling, the lines of each form
    rewritten, by form), or None when there are none or the rewritten source still does not
    compile. One exception: when what still does not compile is a line nothing was rewritten on,
    (that source, {}): running it reports the student's own syntax error at its line."""
    forms: dict[str, list[int]] = {}
    tokens: list[tokenize.TokenInfo] | None = None
    for edits_of in (_token_edits, _statement_edits):
        if tokens is None:  # (the source's tokens again only once edits changed it)
            tokens = _tokens(source)
            starts = _line_offsets(source)

        def offset(position: tuple[int, int]) -> int:
            return starts[position[0] - 1] + position[1]

        edits = edits_of(tokens, source, offset, forms)
        if edits:
            source = _edited(source, edits)
            tokens = None
    if not forms:
        return None
    forms = {form: sorted(set(lines)) for form, lines in forms.items()}
    try:
        ast.parse(source)
    except (SyntaxError, ValueError) as exc:
        if not isinstance(exc, SyntaxError):
            return None
        touched = {n for lines in forms.values() for n in lines}
        # Still refused, at a line nothing was rewritten on: the student's own error, which
        # the Python 2 forms above it hid (Python reports the first error it meets).
        return (source, {}) if exc.lineno is not None and exc.lineno not in touched else None
    return source, forms


def _edited(source: str, edits: list[tuple[int, int, str]]) -> str:
    """The source with each (start, end, text) edit made, in one pass: one copy of the source
    per edit took minutes over a file of 500,000 print statements, in the grading process
    too, which reads a class's files before grading any (probe s60)."""
    pieces, at = [], 0
    for start, end, text in sorted(edits):
        pieces += [source[at:start], text]
        at = end
    return "".join(pieces) + source[at:]


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    """The source's tokens, as far as the tokenizer gets: a bracket never closed stops it only at
    the end, and the forms before that are still worth rewriting (for the error that remains)."""
    tokens: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            tokens.append(token)
    except (tokenize.TokenError, SyntaxError):
        pass
    return tokens


def _token_edits(tokens: list[tokenize.TokenInfo], source: str, offset,
                 forms: dict[str, list[int]]) -> list[tuple[int, int, str]]:
    """Backquotes, `<>`, and octal and long literals: single tokens (or two adjacent ones)."""
    edits: list[tuple[int, int, str]] = []

    def found(form: str, token: tokenize.TokenInfo, start: int, end: int, text: str) -> None:
        edits.append((start, end, text))
        forms.setdefault(form, []).append(token.start[0])

    opened: tokenize.TokenInfo | None = None
    consumed = -1  # the 777 of 3.11's 0 777: already part of an edit
    for i, token in enumerate(tokens):
        if i <= consumed:
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        adjacent = following is not None and following.start == token.end
        if token.string == "`" and token.type in (tokenize.OP, tokenize.ERRORTOKEN):
            if opened is None:
                opened = token
            else:  # Python 2 backquotes cannot nest: the next one closes
                # `a, b` was the tuple's repr: the inner parentheses keep it one argument.
                found("backquote", opened, offset(opened.start), offset(opened.end), "repr((")
                edits.append((offset(token.start), offset(token.end), "))"))
                opened = None
        elif token.type == tokenize.NEWLINE:
            opened = None
        elif (token.type == tokenize.NAME and token.string.lower() == "ur" and adjacent
              and following.type == tokenize.STRING and following.string[:1] in "'\""
              and not _UNICODE_ESCAPE.search(following.string)):
            # Python 2's raw unicode string (`ur"\d+"`, a regular expression): Python 3's
            # strings are unicode, so `r"\d+"` is the same text, where it holds no \u or \U,
            # the one escape Python 2 read in it (probe s62-recheck, row 9).
            found("ur_string", token, offset(token.start), offset(token.end), "r")
        elif token.type == tokenize.OP and token.string == "<>":
            found("not_equal", token, offset(token.start), offset(token.end), "!=")
        elif (token.type == tokenize.OP and token.string == "<" and adjacent
              and following.type == tokenize.OP and following.string == ">"):
            found("not_equal", token, offset(token.start), offset(following.end), "!=")
        elif token.type == tokenize.NUMBER:
            last = i  # 3.10 and 3.11 read 0777 as 0 and 777, 3.12 as one token
            if token.string == "0" and adjacent and following.type == tokenize.NUMBER \
                    and following.string.isdigit():
                last = i + 1
            digits = "".join(t.string for t in tokens[i:last + 1])
            if len(digits) > 1 and digits[0] == "0" and digits.strip("0") \
                    and all(c in "01234567" for c in digits):
                found("octal", token, offset(token.start), offset(tokens[last].end),
                      "0o" + digits[1:])
            suffix = tokens[last + 1] if last + 1 < len(tokens) else None
            if suffix is not None and suffix.start == tokens[last].end \
                    and suffix.type == tokenize.NAME and suffix.string in ("L", "l"):
                found("long", token, offset(suffix.start), offset(suffix.end), "")
            consumed = last
    return edits


# The escapes Python 2's `ur"..."` strings read (as `r"..."` does not): \u and \U.
_UNICODE_ESCAPE = re.compile(r"\\[uU]")


def _statement_edits(tokens: list[tokenize.TokenInfo], source: str, offset,
                     forms: dict[str, list[int]]) -> list[tuple[int, int, str]]:
    """print, except, raise and exec statements: each where a statement starts."""
    edits: list[tuple[int, int, str]] = []
    rewriters = {"print": _statement, "except": _except_clause, "raise": _raise_statement,
                 "exec": _exec_statement}
    depth = 0
    at_start = True
    for i, token in enumerate(tokens):
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth = max(0, depth - 1)
        if at_start and token.type == tokenize.NAME and token.string in rewriters and depth == 0:
            statement = rewriters[token.string](tokens, i)
            if statement is not None:
                start, end, text = statement(source, offset)
                edits.append((start, end, text))
                forms.setdefault(token.string, []).append(token.start[0])
        if token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            at_start = True
        elif token.type in (tokenize.NL, tokenize.COMMENT):
            pass
        elif token.type == tokenize.OP and token.string in (";", ":") and depth == 0:
            at_start = True  # `a = 1; print a` and `if x: print a`
        else:
            at_start = False
    return edits


def _line_offsets(source: str) -> list[int]:
    offsets, total = [], 0
    for line in io.StringIO(source).readlines() or [""]:
        offsets.append(total)
        total += len(line)
    offsets.append(total)
    return offsets


def _statement(tokens: list[tokenize.TokenInfo], i: int):
    """How to rewrite the print statement whose `print` is tokens[i], or None if it is not one."""
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    if following is None:
        return None
    if following.type == tokenize.OP and following.string in _NOT_A_STATEMENT:
        return None
    body = _body(tokens, i)  # up to a NEWLINE, or a `;` outside brackets
    target = None
    if body and body[0].type == tokenize.OP and body[0].string == ">>":
        comma = next(iter(_top_level_commas(body)), None)
        target = body[1:comma] if comma is not None else body[1:]
        body = body[comma + 1:] if comma is not None else []
        if not target:
            return None
    trailing = bool(body) and body[-1].type == tokenize.OP and body[-1].string == ","
    args = body[:-1] if trailing else body
    last = (tokens[i] if not body and target is None
            else (body[-1] if body else target[-1]))

    def build(source: str, offset) -> tuple[int, int, str]:
        parts = []
        if args:
            parts.append(source[offset(args[0].start):offset(args[-1].end)])
        if trailing:
            parts.append('end=" "')
        if target:
            parts.append("file=" + source[offset(target[0].start):offset(target[-1].end)])
        return offset(tokens[i].start), offset(last.end), "print(" + ", ".join(parts) + ")"
    return build


def _body(tokens: list[tokenize.TokenInfo], i: int, stop: str = ";") -> list[tokenize.TokenInfo]:
    """The tokens after tokens[i] up to the statement's end (NEWLINE, or `stop` outside brackets),
    comments and blank-line tokens left out."""
    depth, body = 0, []
    for k in range(i + 1, len(tokens)):  # tokens[i + 1:] copied the rest every time
        token = tokens[k]
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or (
                depth == 0 and token.type == tokenize.OP and token.string == stop):
            break
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            body.append(token)
    return body


def _top_level_commas(body: list[tokenize.TokenInfo]) -> list[int]:
    return [k for k, (t, depth) in enumerate(zip(body, _depths(body)))
            if t.type == tokenize.OP and t.string == "," and depth == 0]


def _except_clause(tokens: list[tokenize.TokenInfo], i: int):
    """`except E, e:` (E a name, a dotted name or a parenthesised tuple) -> `except E as e:`."""
    body = _body(tokens, i, stop=":")
    commas = _top_level_commas(body)
    if len(commas) != 1 or commas[0] == 0 or len(body) != commas[0] + 2 \
            or body[-1].type != tokenize.NAME:
        return None
    comma = body[commas[0]]

    def build(source: str, offset) -> tuple[int, int, str]:
        return offset(comma.start), offset(comma.end), " as"
    return build


def _raise_statement(tokens: list[tokenize.TokenInfo], i: int):
    """`raise E, message` -> `raise E(message)` (a third part, a traceback, is left as it is)."""
    body = _body(tokens, i)
    commas = _top_level_commas(body)
    if len(commas) != 1 or commas[0] == 0 or commas[0] == len(body) - 1:
        return None
    kind, message = body[:commas[0]], body[commas[0] + 1:]

    def build(source: str, offset) -> tuple[int, int, str]:
        argument = source[offset(message[0].start):offset(message[-1].end)]
        try:  # Python 2 took a tuple as the arguments: raise E, (a, b) raised E(a, b)
            spread = isinstance(ast.parse(argument.strip(), mode="eval").body, ast.Tuple)
        except (SyntaxError, ValueError):
            spread = False
        text = (source[offset(kind[0].start):offset(kind[-1].end)] + "("
                + ("*" if spread else "") + argument + ")")
        return offset(kind[0].start), offset(message[-1].end), text
    return build


def _exec_statement(tokens: list[tokenize.TokenInfo], i: int):
    """`exec code` -> `exec(code)`; `exec code in g, l` -> `exec(code, g, l)`; `exec (code) in g`
    -> `exec((code), g)`."""
    body = _body(tokens, i)
    if not body:
        return None
    at = [k for k, (t, depth) in enumerate(zip(body, _depths(body)))
          if t.type == tokenize.NAME and t.string == "in" and depth == 0]
    if at and (at[0] == 0 or at[0] == len(body) - 1):
        return None
    # `exec (code) in ns` is Python 3 syntax too, `exec(code)` run in the current namespace and
    # then `in ns` tested (probe s62-recheck: a valid Python 2 file lost every function the
    # exec defined). Python 2's `exec` takes no comparison, so an `in` after it is the
    # namespace's; without one, `exec (code)` means the same in both.
    parenthesised = body[0].type == tokenize.OP and body[0].string == "("
    if body[0].type == tokenize.OP and body[0].string in _NOT_A_STATEMENT \
            and not (parenthesised and at):
        return None
    code = body[:at[0]] if at else body
    namespaces = body[at[0] + 1:] if at else []

    def build(source: str, offset) -> tuple[int, int, str]:
        def text(part: list[tokenize.TokenInfo]) -> str:
            return source[offset(part[0].start):offset(part[-1].end)]
        return (offset(tokens[i].start), offset(body[-1].end),
                "exec(" + text(code) + (", " + text(namespaces) if namespaces else "") + ")")
    return build


def _depths(tokens: list[tokenize.TokenInfo]) -> list[int]:
    """The bracket depth before each token, in one pass (one pass per comma was quadratic in a
    line of 40 KB: `raise E, (a, a, ...)`)."""
    depths, depth = [], 0
    for token in tokens:
        depths.append(depth)
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
    return depths


def as_python3(source: str) -> tuple[str, dict[str, list[int]]]:
    """The source to run, and the lines of each Python 2 form rewritten (FORMS): the source as
    it is when it compiles (or when rewriting cannot make it compile: running it then reports
    the student's own syntax error)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        rewritten = rewrite(source)
        return rewritten if rewritten is not None else (source, {})
    if _COMPILES_IN_PYTHON3.search(source) and not _binds_print_or_exec(tree):
        rewritten = rewrite(source)
        if rewritten is not None and rewritten[1] and set(rewritten[1]) <= {"print", "exec"}:
            return rewritten
    return source, {}


# Where a statement starts (a line, or after `;` or `:`), the two Python 2 forms that are Python 3
# syntax too: `print >>f, x` (a tuple) and `exec (code) in ns` (a comparison). Only a file that
# has one is rewritten, when it compiles; `exec(code)` alone is left as it is (_exec_statement).
_COMPILES_IN_PYTHON3 = re.compile(r"(?:^|[:;])[ \t]*(?:print[ \t]*>>|exec[ \t]*\()", re.M)


def _binds_print_or_exec(tree: ast.Module) -> bool:
    """Whether Python 3 code binds `print` or `exec` itself (`print = 8`, `def exec(...)`): then
    `print >> 1, 2` is its own name's arithmetic, not Python 2's statement (probe s62-recheck,
    row 14)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            name = node.id
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = node.name
        elif isinstance(node, ast.arg):
            name = node.arg
        elif isinstance(node, ast.alias):
            name = node.asname or node.name.split(".")[0]
        else:
            continue
        if name in ("print", "exec"):
            return True
    return False


def tabs_as_python2(source: str) -> str | None:
    """The source with every indentation's tabs expanded as Python 2 read them (to the next
    multiple of 8 columns), when Python 3 refuses it for mixing tabs and spaces (TabError) and
    the expanded source compiles, print statements made calls if need be; else None."""
    if "\t" not in source:
        return None
    try:
        ast.parse(source)
        return None
    except TabError:
        pass
    except (SyntaxError, ValueError):
        if _compiles_once_rewritten(source):
            return None  # only statements and tokens were Python 2
    expanded = "".join(_expand_indentation(line) for line in source.splitlines(keepends=True))
    try:
        ast.parse(expanded)
    except (SyntaxError, ValueError):
        if not _compiles_once_rewritten(expanded):
            return None
    return expanded


def _compiles_once_rewritten(source: str) -> bool:
    rewritten = rewrite(source)
    return rewritten is not None and bool(rewritten[1])


def _expand_indentation(line: str) -> str:
    body = line.lstrip(" \t")
    indent = line[:len(line) - len(body)]
    return indent.expandtabs(8) + body


@functools.lru_cache(maxsize=1024)  # the loader asks for each file again (run, scans, a hang's place)
def python3_source(source: str) -> tuple[str, dict[str, list[int]], bool]:
    """What runs of a file or cell that may be Python 2: (the source, the lines of each Python 2
    form rewritten (FORMS), whether its indentation's tabs were expanded as Python 2 reads
    them)."""
    expanded = tabs_as_python2(source)
    source, forms = as_python3(expanded if expanded is not None else source)
    return source, forms, expanded is not None
