"""CS114 PA6: a dependency parser's feed-forward network. The pack is its folder: pack.toml says
what it grades; this package only makes its own modules (inputs, hints, common) importable as
grader.packs.pa6.* by its checks."""
