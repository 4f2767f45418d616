"""The cases service: each woman's support journey."""
