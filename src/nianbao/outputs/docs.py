"""Docs that cannot drift: the CLI reference and the rule catalogue generated from the code.
`make docs` writes them; tests/test_docs.py fails when the checked-in copies are stale."""
from __future__ import annotations

from typer.testing import CliRunner

from .catalogue import render_markdown

COMMANDS = ["check", "extract", "explain", "rules", "version", "template", "render", "ingest", "findings", "units", "units list", "units map",
            "units set", "units merge", "stats", "chart", "rollup", "export"]


def cli_reference() -> str:
    from ..cli import app
    runner = CliRunner()
    parts = ["# nianbao 命令行参考 / CLI reference", "",
             "由 `make docs` 从代码生成，请勿手工修改。Generated from the code by `make docs`; do not edit.", ""]
    for cmd in [None] + COMMANDS:
        args = (cmd.split() if cmd else []) + ["--help"]
        out = runner.invoke(app, args, prog_name="nianbao", terminal_width=100, env={"NO_COLOR": "1", "COLUMNS": "100"}).output
        parts += [f"## `nianbao {cmd or ''}`".replace(" ``", "``").replace("` `", "`"), "", "```text", out.rstrip(), "```", ""]
    return "\n".join(parts)


def all_docs() -> dict[str, str]:
    return {"docs/rules.md": render_markdown() + "\n", "docs/cli.md": cli_reference() + "\n"}


def main() -> None:
    for path, text in all_docs().items():
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
