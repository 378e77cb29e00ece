"""The untrusted side of the trust boundary.

Everything in this folder runs inside the worker process, next to student code, except `wire`,
which both sides use to move plain data across the pipe. Nothing here decides a verdict.
"""
