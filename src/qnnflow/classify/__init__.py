"""The offline classification benchmark: seeded datasets, two small nets, seeded training."""
