"""conflict_events.model: the joint encoder (torch), save/load, the PyTorch backend and ONNX export.

This ``__init__`` imports nothing, so the shipped default model folder (``default/``, package data
of this package) is located without loading torch: see
``conflict_events.inference.model_folder.default_model_dir``.
"""
