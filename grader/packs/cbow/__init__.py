"""The CBOW lecture notebook (Coursera NLP, course 2 week 4). The pack is its folder: pack.toml says
what it grades; this package only makes its own modules (inputs, hints) importable as
grader.packs.cbow.* by its checks."""
