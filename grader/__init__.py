"""autograde: grade numpy neural-network homework against a reference, safely and reproducibly."""

__version__ = "0.1.0"
