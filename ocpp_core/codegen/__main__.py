"""Command line of the code generator.

``python -m ocpp_core.codegen``
    regenerate ``ocpp_core/v16``, ``v20``, ``v201`` and ``v21`` from ``schemas/``.
``python -m ocpp_core.codegen --check``
    exit 1 if any generated file differs from what the schemas give (drift),
    or if the decoders and encoders written at first use do not compile
    against the committed classes.
``python -m ocpp_core.codegen --show-codec VERSION [CLASS ...]``
    print the decoders and encoders that :mod:`ocpp_core._codecs` writes at
    first use (of every class of the version, or of the classes named and
    what they reach), for review.
``python -m ocpp_core.codegen import-oca DIR [DIR ...] VERSION [--out FILE]``
    rebuild ``schemas/ocpp-VERSION.json`` from OCA release folders.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import operator
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ocpp_core.codegen.codec import closure, codec_source
from ocpp_core.codegen.generator import generate
from ocpp_core.codegen.importer import SchemaImportError, import_oca
from ocpp_core.codegen.model import load_model

VERSIONS = ("1.6", "2.0", "2.0.1", "2.1")
ROOT = Path(__file__).resolve().parents[2]


def _ruff() -> list[str]:
    """The command that runs ruff: this interpreter's module, else ``ruff`` on the PATH.

    Raises:
        FileNotFoundError: ruff is in neither place.
    """
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    if found is None:
        raise FileNotFoundError(
            "the generator formats its output with ruff, which is not installed here: "
            'run it in the project\'s environment (pip install -e ".[lint]")'
        )
    return [found]


def _format(sources: dict[Path, str], root: Path) -> dict[Path, str]:
    """Format generated sources with ruff (the version pinned in the ``lint`` extra)."""
    ruff = _ruff()
    out: dict[Path, str] = {}
    steps = (
        ["check", "--select", "I", "--fix-only", "--exit-zero", "--quiet"],
        ["format", "--quiet"],
    )
    for path, source in sources.items():
        text = source
        for step in steps:
            proc = subprocess.run(
                [*ruff, *step, "--stdin-filename", str(path), "-"],
                input=text,
                capture_output=True,
                text=True,
                cwd=root,
                check=False,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"ruff {step[0]} failed on {path}: {proc.stderr.strip()}")
            text = proc.stdout
        out[path] = text
    return out


def expected_files(root: Path = ROOT, *, formatted: bool = True) -> dict[Path, str]:
    """Return every generated file with the content the schemas give.

    Args:
        root: the checkout.
        formatted: format with ruff, as the committed files are (``False``: the
            generator's own output, for :func:`same_content`).
    """
    files: dict[Path, str] = {}
    for version in VERSIONS:
        model = load_model(root / "schemas" / f"ocpp-{version}.json")
        for rel, text in generate(model).items():
            files[root / "ocpp_core" / rel] = text
    return _format(files, root) if formatted else files


def _content(text: str) -> str:
    """What formatting cannot change in Python source, as text.

    Its syntax tree, with each block's imports as a sorted set of names (import
    sorting merges and reorders them) and docstrings with their white space folded.
    """
    tree = ast.parse(text)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        imports: set[tuple[str, str, str, int]] = set()
        kept: list[ast.stmt] = []
        for stmt in body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                if isinstance(stmt, ast.ImportFrom):
                    module, level = stmt.module or "", stmt.level
                else:
                    module, level = "", -1
                imports.update((module, a.name, a.asname or "", level) for a in stmt.names)
                continue
            if (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            ):
                stmt.value.value = " ".join(stmt.value.value.split())
            kept.append(stmt)
        if imports:
            kept.insert(0, ast.Expr(ast.Constant(repr(sorted(imports)))))
        setattr(node, "body", kept)  # noqa: B010 - any node with a statement body
    return ast.dump(tree)


def same_content(generated: str, committed: str) -> bool:
    """Whether ``committed`` is ``generated`` up to what ruff's import sorting and format change.

    The drift check's fallback where ruff is not installed.
    """
    try:
        return _content(generated) == _content(committed)
    except SyntaxError:
        return False


def _generate(check: bool) -> int:
    drift = []
    same: Callable[[str, str], bool] = operator.eq
    try:
        expected = expected_files()
    except FileNotFoundError:
        if not check:
            raise
        # No ruff: compare what formatting cannot change, and say so.
        print("ruff is not installed: comparing syntax trees (formatting not checked)")
        expected = expected_files(formatted=False)
        same = same_content
    for path, text in expected.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current is not None and same(text, current):
            continue
        if check:
            drift.append(path.relative_to(ROOT).as_posix())
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT).as_posix()}")
    if drift:
        print("generated code differs from schemas/ (run python -m ocpp_core.codegen):")
        for name in drift:
            print(f"  {name}")
        return 1
    if check:
        from ocpp_core._codecs import codec  # noqa: PLC0415 - the committed classes, checked

        for version in VERSIONS:
            codec(version).compile_all()
        print("generated code is in step with schemas/; every codec compiles")
    return 0


def _show_codec(version: str, names: list[str]) -> int:
    model = load_model(ROOT / "schemas" / f"ocpp-{version}.json")
    unknown = [n for n in names if n not in model.classes]
    if unknown:
        print(f"OCPP {version} has no class {', '.join(unknown)}", file=sys.stderr)
        return 1
    chosen = closure(model, names) if names else None
    sys.stdout.write(codec_source(model, chosen))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the code generator's command line; return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "import-oca":
        parser = argparse.ArgumentParser(prog="python -m ocpp_core.codegen import-oca")
        parser.add_argument("folders", nargs="+", type=Path, help="OCA release folder(s)")
        parser.add_argument("version", choices=VERSIONS)
        parser.add_argument("--out", type=Path, help="bundle to write")
        ns = parser.parse_args(args[1:])
        out = ns.out or ROOT / "schemas" / f"ocpp-{ns.version}.json"
        try:
            bundle = import_oca(ns.folders, ns.version, out)
        except SchemaImportError as exc:
            print(f"import-oca: {exc}", file=sys.stderr)
            return 1
        print(
            f"wrote {out}: {len(bundle['x-ocpp-actions'])} actions, "
            f"{len(bundle['$defs'])} definitions"
        )
        return 0
    parser = argparse.ArgumentParser(prog="python -m ocpp_core.codegen")
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    parser.add_argument(
        "--show-codec",
        nargs="+",
        metavar=("VERSION", "CLASS"),
        help="print the decoders and encoders of a version (or of some classes) for review",
    )
    ns = parser.parse_args(args)
    if ns.show_codec:
        version, *names = ns.show_codec
        if version not in VERSIONS:
            parser.error(f"unknown version {version!r} (known: {', '.join(VERSIONS)})")
        return _show_codec(version, names)
    try:
        return _generate(ns.check)
    except FileNotFoundError as exc:  # no ruff: nothing can be formatted
        print(f"python -m ocpp_core.codegen: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
