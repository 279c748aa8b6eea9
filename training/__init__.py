"""conflict_events.training: corpora, converters, the training loop, metrics and evaluation.

Heavy dependencies (torch, transformers, datasets) are imported inside the functions that need
them, so ``conflict-events data validate`` works with the light install.
"""
