"""Python 2 source that Python 3 refuses, read as Python 2 meant it: print statements as the print
calls they meant, and indentation that mixes tabs and spaces as Python 2 expanded it.

The 2017 starter code is Python 2: its test functions say `print "Running basic tests..."`, and a
submission finished in Python 2 keeps them. Python 3 refuses the whole file ("Missing parentheses
in call to 'print'"), so every function in it scored 0, right or wrong. Source that does not
compile is rewritten here, statement by statement, and used only if it then compiles; the
loader reports which lines were rewritten. Each statement keeps its lines (a multi-line print
stays on the same lines), so every traceback and message points where the student wrote it.

    print                    ->  print()
    print x, y               ->  print(x, y)
    print x,                 ->  print(x, end=" ")      (Python 2's trailing comma: no newline)
    print >>f, x             ->  print(x, file=f)
"""
from __future__ import annotations

import ast
import io
import tokenize

# Tokens after `print` that make it a name (print = ..., print.x, print[0]) or a call already.
_NOT_A_STATEMENT = {"(", "=", ".", "[", "+=", "-=", "*=", "/=", ":", ",", ")", "]", "}"}


def rewrite(source: str) -> tuple[str, list[int]] | None:
    """(the source with each Python 2 print statement a call, the lines of those statements),
    or None when there are none or the rewritten source still does not compile."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    starts = _line_offsets(source)

    def offset(position: tuple[int, int]) -> int:
        return starts[position[0] - 1] + position[1]

    edits: list[tuple[int, int, str]] = []
    lines: list[int] = []
    depth = 0
    at_start = True
    for i, token in enumerate(tokens):
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth = max(0, depth - 1)
        if at_start and token.type == tokenize.NAME and token.string == "print" and depth == 0:
            statement = _statement(tokens, i)
            if statement is not None:
                end, text = statement(source, offset)
                edits.append((offset(token.start), end, text))
                lines.append(token.start[0])
        if token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            at_start = True
        elif token.type in (tokenize.NL, tokenize.COMMENT):
            pass
        elif token.type == tokenize.OP and token.string in (";", ":") and depth == 0:
            at_start = True  # `a = 1; print a` and `if x: print a`
        else:
            at_start = False
    if not edits:
        return None
    for start, end, text in sorted(edits, reverse=True):
        source = source[:start] + text + source[end:]
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return source, sorted(set(lines))


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
    # The statement's tokens: up to a NEWLINE, or a `;` outside brackets.
    depth, body = 0, []
    for token in tokens[i + 1:]:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or (
                depth == 0 and token.type == tokenize.OP and token.string == ";"):
            break
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            body.append(token)
    target = None
    if body and body[0].type == tokenize.OP and body[0].string == ">>":
        comma = next((k for k, t in enumerate(body) if t.type == tokenize.OP and t.string == ","
                      and _depth_before(body, k) == 0), None)
        target = body[1:comma] if comma is not None else body[1:]
        body = body[comma + 1:] if comma is not None else []
        if not target:
            return None
    trailing = bool(body) and body[-1].type == tokenize.OP and body[-1].string == ","
    args = body[:-1] if trailing else body
    last = (tokens[i] if not body and target is None
            else (body[-1] if body else target[-1]))

    def build(source: str, offset) -> tuple[int, str]:
        parts = []
        if args:
            parts.append(source[offset(args[0].start):offset(args[-1].end)])
        if trailing:
            parts.append('end=" "')
        if target:
            parts.append("file=" + source[offset(target[0].start):offset(target[-1].end)])
        return offset(last.end), "print(" + ", ".join(parts) + ")"
    return build


def _depth_before(tokens: list[tokenize.TokenInfo], k: int) -> int:
    depth = 0
    for token in tokens[:k]:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
    return depth


def as_python3(source: str) -> tuple[str, list[int]]:
    """The source to run, and the lines whose print statements were made calls: the source as
    it is when it compiles (or when rewriting cannot make it compile: running it then reports
    the student's own syntax error)."""
    try:
        ast.parse(source)
        return source, []
    except (SyntaxError, ValueError):
        pass
    rewritten = rewrite(source)
    return rewritten if rewritten is not None else (source, [])


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
        if rewrite(source) is not None:
            return None  # only the prints were Python 2
    expanded = "".join(_expand_indentation(line) for line in source.splitlines(keepends=True))
    try:
        ast.parse(expanded)
    except (SyntaxError, ValueError):
        if rewrite(expanded) is None:
            return None
    return expanded


def _expand_indentation(line: str) -> str:
    body = line.lstrip(" \t")
    indent = line[:len(line) - len(body)]
    return indent.expandtabs(8) + body


def python3_source(source: str) -> tuple[str, list[int], bool]:
    """What runs of a file or cell that may be Python 2: (the source, the lines whose print
    statements became calls, whether its indentation's tabs were expanded as Python 2 reads
    them)."""
    expanded = tabs_as_python2(source)
    source, printed = as_python3(expanded if expanded is not None else source)
    return source, printed, expanded is not None
