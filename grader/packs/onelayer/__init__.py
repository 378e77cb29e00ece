"""The one-hidden-layer network pack: a sigmoid/softmax network in numpy with the lazyprogrammer
blog's functions and signatures (pack.toml)."""
