"""The `autograde` program, and `python -m grader`."""
import gc


def run() -> None:
    # Off while numpy, pytest, hypothesis and the grader load: the objects they make live as long
    # as the process, so collecting meanwhile only walks them. The program turns it back on once
    # they are loaded (grader.session.settle_heap).
    gc.disable()
    from grader.cli import run as program
    program()


if __name__ == "__main__":
    run()
