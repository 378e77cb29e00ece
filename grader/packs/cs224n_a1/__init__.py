"""CS224n (winter 2017), assignment 1. The pack is its folder: pack.toml says what it grades;
this package only makes its own modules (inputs, hints) importable as grader.packs.cs224n_a1.*
by its checks."""
