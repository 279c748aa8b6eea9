"""``conflict-events data``: the action registry, lazy imports, help, and the schema action."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conflict_events.cli import data as data_cli
from conflict_events.cli import main
from conflict_events.cli.data import DATA_COMMANDS, DataCommand
from conflict_events.inference.labels import LabelSchema
from conflict_events.training.corpus import written_id
from conflict_events.training.drafts import resolve_draft
from conflict_events.training.records import Record, json_schema
from conflict_events.training.validate import check_record

HEAVY = ("torch", "transformers", "datasets", "pandas", "sklearn")


def test_every_registered_action_points_at_its_two_functions():
    names = [c.name for c in DATA_COMMANDS]
    assert len(names) == len(set(names))
    assert {"validate", "schema", "build-written"} <= set(names)
    for command in DATA_COMMANDS:
        if command.requires:  # heavy: importing it here would need the extra
            assert importlib.util.find_spec(command.module) is not None, command.module
            continue
        add, run = command.load()
        assert callable(add) and callable(run), command.name


def test_data_help_lists_the_actions(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["data", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for command in DATA_COMMANDS:
        assert f"  {command.name} " in out


def test_an_action_has_its_own_help(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["data", "validate", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "conflict-events data validate" in out and "--check-minimums" in out


@pytest.mark.parametrize("argv", [["data"], ["data", "nope"], ["data", "validate"]])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "error" in capsys.readouterr().err


def test_schema_prints_the_record_json_schema(tmp_path, capsys):
    assert main(["data", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()
    out = tmp_path / "record.schema.json"
    assert main(["data", "schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == json_schema()
    assert main(["data", "schema", "--out", str(out)]) == 0  # the same text: left as it is
    mine = tmp_path / "notes.txt"
    mine.write_text("my notes\n", encoding="utf-8")
    assert main(["data", "schema", "--out", str(mine)]) == 1
    assert "holds other content" in capsys.readouterr().err
    assert mine.read_text(encoding="utf-8") == "my notes\n"


def test_an_action_whose_requirements_are_missing_says_which_extra(monkeypatch, capsys):
    needy = DataCommand(
        "needy",
        "conflict_events.training.corpus",
        "needs a module",
        ("not_installed_xyz",),
        "train",
    )
    monkeypatch.setattr(data_cli, "DATA_COMMANDS", (*DATA_COMMANDS, needy))
    assert main(["data", "needy", "--anything"]) == 3
    err = capsys.readouterr().err
    assert "conflict-events data needy needs not_installed_xyz" in err
    assert "conflict-events[train]" in err


def test_validate_runs_without_heavy_imports_or_other_actions(tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "Calm in Gao."}) + "\n", encoding="utf-8")
    script = (
        "import sys\n"
        "from conflict_events.cli import main\n"
        f"code = main(['data', 'validate', '--stats', {str(path)!r}])\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(code, heavy, 'conflict_events.training.corpus' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "0 [] False"


DATASHEET = Path(__file__).resolve().parents[1] / "data" / "README.md"


def json_blocks(markdown: str) -> list[str]:
    return re.findall(r"```json\n(.*?)\n```", markdown, flags=re.S)


def test_the_datasheet_schema_is_the_one_the_code_derives():
    blocks = json_blocks(DATASHEET.read_text(encoding="utf-8"))
    schemas = [json.loads(b) for b in blocks if b.startswith("{\n")]
    assert schemas == [json_schema()]


def test_the_datasheet_examples_are_a_valid_draft_and_record():
    draft, record = (json.loads(b) for b in json_blocks(DATASHEET.read_text(encoding="utf-8"))[:2])
    resolved = resolve_draft(draft, "README.md")
    assert check_record(resolved, LabelSchema.default()) == []
    example = Record.from_dict(record)
    assert check_record(example, LabelSchema.default()) == []
    assert example.id == written_id(example.text)
