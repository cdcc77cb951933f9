"""Training with a content-hash cache: ``train_or_load(spec, dataset, cache)``."""
