"""The resume manifest: what a ``conflict-events tag`` output was made from.

``tag --out OUT`` writes ``OUT.manifest.json`` before the first record: each input's resolved
identity (real path, device and inode, size; for a folder the number and total size of the files
it reads) and the options that shape the output (format, ``--include-text``, fields, glob, stdin
format, model). ``--resume`` carries on only when both match, so a finished document is never
tagged twice because an input was named differently (``a.jsonl``, ``./a.jsonl``, an absolute
path), and a different input or option is never appended to the old output; a mismatch is refused
with a message saying what differs. A resumed job reads each input under the name it had the first
time, so ids stay the same.

>>> a = InputIdentity("a.jsonl", "/d/a.jsonl", "file", 1, 2, 300)
>>> b = JobManifest((a,), {"format": "jsonl", "include_text": False})
>>> c = JobManifest((a,), {"format": "jsonl", "include_text": True})
>>> b.differences(c)
['--include-text: was off, now on']
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from conflict_events.inference.archive import STDIN, ReadOptions, matches_glob

SUFFIX = ".manifest.json"
TOOL = "conflict-events tag"
VERSION = 1

# Option keys, as the flags a user types.
FLAGS = {
    "format": "--format",
    "include_text": "--include-text",
    "text_field": "--text-field",
    "id_field": "--id-field",
    "glob": "--glob",
    "stdin_format": "--stdin-format",
    "model": "--model",
    "model_config_sha256": "the model's config.json",
    "fp32": "--fp32",
}


class ManifestError(ValueError):
    """An output that ``--resume`` must not continue: no manifest, or another job's."""


def manifest_path(out: str | Path) -> str:
    return f"{out}{SUFFIX}"


@dataclass(frozen=True)
class InputIdentity:
    """One input as the file system knows it.

    ``kind``: file, folder, stdin-file, stdin-pipe, or missing (a dangling link).
    """

    name: str
    path: str
    kind: str
    device: int | None = None
    inode: int | None = None
    size: int | None = None
    files: int | None = None  # folders: how many files match the glob

    def same_as(self, other: InputIdentity) -> bool:
        if self.kind != other.kind:
            return False
        if self.kind == "stdin-pipe":
            return True  # a pipe has no identity to check
        return (self.device, self.inode, self.size, self.files) == (
            other.device,
            other.inode,
            other.size,
            other.files,
        )

    def describe(self) -> str:
        if self.kind == "stdin-pipe":
            return "stdin (a pipe)"
        what = f"{self.size} bytes" + (f" in {self.files} files" if self.kind == "folder" else "")
        where = "stdin from " if self.kind == "stdin-file" else ""
        return f"{where}{self.name} ({self.path}, device {self.device} inode {self.inode}, {what})"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputIdentity:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class JobManifest:
    """The inputs (in order) and output-shaping options of one ``tag`` job."""

    inputs: tuple[InputIdentity, ...]
    options: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": TOOL,
            "version": VERSION,
            "inputs": [i.to_dict() for i in self.inputs],
            "options": self.options,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobManifest:
        if data.get("tool") != TOOL:
            raise ManifestError(f"not a manifest of `{TOOL}`")
        return cls(tuple(InputIdentity.from_dict(i) for i in data["inputs"]), dict(data["options"]))

    def save(self, path: str | Path) -> None:
        """Write atomically (a temporary file renamed), so a kill leaves the old or the new one."""
        temporary = f"{path}.tmp"
        with open(temporary, "w", encoding="utf-8") as stream:
            json.dump(self.to_dict(), stream, indent=2, ensure_ascii=False)
            stream.write("\n")
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: str | Path) -> JobManifest:
        try:
            with open(path, encoding="utf-8") as stream:
                return cls.from_dict(json.load(stream))
        except FileNotFoundError:
            raise ManifestError(f"{path} is missing") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ManifestError(f"{path} is unreadable ({exc})") from None

    def differences(self, now: JobManifest) -> list[str]:
        """What differs between this (the first run) and ``now``, one phrase per difference."""
        found = []
        if len(self.inputs) != len(now.inputs):
            found.append(f"{len(self.inputs)} inputs then, {len(now.inputs)} now")
        for number, (was, new) in enumerate(zip(self.inputs, now.inputs), 1):
            if not was.same_as(new):
                found.append(f"input {number}: was {was.describe()}, now {new.describe()}")
        for key in dict.fromkeys([*self.options, *now.options]):
            was, new = self.options.get(key), now.options.get(key)
            if was != new:
                found.append(f"{FLAGS.get(key, key)}: was {_shown(was)}, now {_shown(new)}")
        return found


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "not given"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return repr(value) if isinstance(value, str) else str(value)


def identify(path: str, options: ReadOptions, stdin_fd: int = 0) -> InputIdentity:
    """The identity of one input as named on the command line."""
    if path == STDIN:
        try:
            info = os.fstat(stdin_fd)
        except OSError:
            return InputIdentity(STDIN, STDIN, "stdin-pipe")
        if not stat.S_ISREG(info.st_mode):
            return InputIdentity(STDIN, STDIN, "stdin-pipe")
        return InputIdentity(STDIN, STDIN, "stdin-file", info.st_dev, info.st_ino, info.st_size)
    real = os.path.realpath(path)
    try:
        info = os.stat(path)
    except OSError:  # a dangling link: reported when read
        return InputIdentity(path, real, "missing")
    if not stat.S_ISDIR(info.st_mode):
        return InputIdentity(path, real, "file", info.st_dev, info.st_ino, info.st_size)
    files, size = 0, 0
    for folder, dirs, names in os.walk(path):
        dirs.sort()
        for name in names:
            full = os.path.join(folder, name)
            relative = os.path.relpath(full, path)
            if options.excludes(full) or not matches_glob(name, relative, options.glob):
                continue
            try:
                size += os.stat(full).st_size
            except OSError:
                continue
            files += 1
    return InputIdentity(path, real, "folder", info.st_dev, info.st_ino, size, files)


def build(inputs: Sequence[str], options: ReadOptions, settings: dict[str, Any]) -> JobManifest:
    """The manifest of a job: its inputs' identities and ``settings`` (the output-shaping options)."""
    return JobManifest(tuple(identify(p, options) for p in inputs), settings)


def model_identity(model: str | None) -> dict[str, Any]:
    """The model folder's real path and a hash of its config (labels, thresholds, windows)."""
    from conflict_events.inference.model_folder import CONFIG_NAME, default_model_dir

    folder = Path(model) if model is not None else default_model_dir()
    config = folder / CONFIG_NAME
    digest = hashlib.sha256(config.read_bytes()).hexdigest() if config.is_file() else None
    return {"model": os.path.realpath(folder), "model_config_sha256": digest}
