"""The README stays true: every setting and every ingest flag is documented."""
from __future__ import annotations

from pathlib import Path

from ingest.cli import build_parser
from settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme():
    """Each Settings field appears in the README under its environment variable name."""
    for name, field in Settings.model_fields.items():
        aliases = getattr(field.validation_alias, "choices", None) or [f"RA_{name.upper()}"]
        assert any(f"`{a}`" in README for a in aliases), name


def test_every_ingest_flag_is_in_the_readme():
    """Each option of `python -m ingest` is described in the README."""
    for action in build_parser()._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag != "--help":
                assert flag in README, flag


def test_every_insights_flag_is_in_the_readme():
    """Each option of `python -m api.insights` is described in the README."""
    from api.insights import build_parser as insights_parser

    for action in insights_parser()._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag != "--help":
                assert f"`{flag}" in README, flag
