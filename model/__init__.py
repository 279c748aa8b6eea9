"""conflict_events.model: the joint encoder (torch), decoding to results, save/load and ONNX export.

This ``__init__`` stays light (no torch at import) so the shipped default model folder, package
data of this package, can be located cheaply.
"""

from pathlib import Path

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default"
