"""What the notebook tests share: the correct solution, split for cells, the phrases reports
use for what was not run, and a notebook written as Jupyter writes it."""
from __future__ import annotations

from pathlib import Path

import nbformat

from conftest import FIXTURES

SOLUTION = (FIXTURES / "correct_summed.py").read_text().split('\nif __name__ == "__main__":')[0]
# Two halves, so that cells between them can break without costing the functions on either side.
FIRST_HALF, SECOND_HALF = SOLUTION.split("\ndef forward_backward_prop")
SECOND_HALF = "def forward_backward_prop" + SECOND_HALF
NOT_RUN = "was not run (the grader runs no shell commands or magics)"
# Whether or not matplotlib is installed where code is graded, no plot is shown there (it was
# "plots are drawn without a screen", false where matplotlib is missing).
HARMLESS = ("was not run either, and changes nothing a grade sees (no plot is ever shown where "
            "your code is graded, and every grade imports your code afresh)")
HARMLESS_MANY = HARMLESS.replace("was not run either, and changes", "were not run either, and change")


def notebook_v4(path: Path, cells: list[str | tuple[str, str]]) -> Path:
    """A version-4 notebook of code cells; ("markdown", text) for a Markdown cell."""
    nb = nbformat.v4.new_notebook()
    for cell in cells:
        if isinstance(cell, tuple):
            nb.cells.append(nbformat.v4.new_markdown_cell(cell[1]))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(cell))
    nbformat.write(nb, str(path))
    return path


def script_export(cells: list[str]) -> str:
    """A notebook as Jupyter's "Download as Python" writes it: a header, then each code cell
    after a `# In[N]:` mark, its magics and shell escapes as get_ipython() calls."""
    return "#!/usr/bin/env python\n# coding: utf-8\n\n# # Assignment 1\n\n" + "".join(
        f"# In[{n}]:\n\n\n{cell}\n\n\n" for n, cell in enumerate(cells, start=1))
