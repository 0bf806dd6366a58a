"""Check that Python files differ from a git revision only in layout: same AST, docstring whitespace aside.

Usage: ``python tools/ast_unchanged.py [REV]`` (default ``main``) from the repository root; every ``.py``
file changed against ``REV`` (and present in both) is compared.  Exit 0 if every file has the same AST,
1 otherwise (the differing files are listed).
"""

from __future__ import annotations

import ast
import subprocess
import sys


class _Docstrings(ast.NodeTransformer):
    """Collapse the whitespace of every docstring (module, class, function)."""

    def _norm(self, node: ast.AST) -> ast.AST:
        self.generic_visit(node)
        body = getattr(node, "body", None)
        if body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                value.value = " ".join(value.value.split())
        return node

    visit_Module = visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _norm


def normalised_dump(source: str) -> str:
    """The AST dump of ``source`` with docstring whitespace collapsed.

    Parameters
    ----------
    source : str
        Python source text.

    Returns
    -------
    str
        ``ast.dump`` of the normalised tree (no positions).
    """
    return ast.dump(_Docstrings().visit(ast.parse(source)))


def changed_files(rev: str) -> list[str]:
    """The ``.py`` files changed between ``rev`` and the work tree that exist in both.

    Parameters
    ----------
    rev : str
        A git revision.

    Returns
    -------
    list of str
        Paths relative to the repository root.
    """
    out = subprocess.run(
        ["git", "diff", "--name-only", "--diff-filter=M", rev, "--", "*.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [p for p in out.splitlines() if p]


def main(argv: list[str]) -> int:
    """Compare every changed file with its ``rev`` version; print the result, return the exit code."""
    rev = argv[1] if len(argv) > 1 else "main"
    files = changed_files(rev)
    bad = []
    for path in files:
        shown = subprocess.run(["git", "show", f"{rev}:{path}"], check=True, capture_output=True, text=True)
        old = shown.stdout
        with open(path, encoding="utf-8") as fh:
            new = fh.read()
        if normalised_dump(old) != normalised_dump(new):
            bad.append(path)
    print(f"{len(files)} changed .py files compared with {rev}: {len(files) - len(bad)} same AST")
    for path in bad:
        print(f"AST DIFFERS: {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
