"""Every module of ``shnro_lib`` is at most 500 lines (issue 27).

The files are counted as they are in the repository, which is ``ruff format``-ted (the lint step
checks that), so the count is of formatted lines. A module that grows past the limit is split along
a real seam, not squeezed.
"""

from __future__ import annotations

from pathlib import Path

import shnro_lib

ROOT = Path(shnro_lib.__file__).resolve().parent
MAX_LINES = 500


def module_lines(root: Path = ROOT) -> dict[str, int]:
    """Line count of every ``.py`` file of the package, by its path relative to the package's parent."""
    return {
        path.relative_to(root.parent).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(root.rglob("*.py"))
    }


def too_long(lines: dict[str, int], limit: int = MAX_LINES) -> dict[str, int]:
    """The modules over ``limit`` lines, longest first."""
    return dict(sorted(((p, n) for p, n in lines.items() if n > limit), key=lambda item: (-item[1], item[0])))


def test_every_module_is_at_most_500_lines() -> None:
    lines = module_lines()
    # the walk finds the package's modules (a wrong root would pass vacuously)
    assert "shnro_lib/__init__.py" in lines and "shnro_lib/report/sections.py" in lines and len(lines) > 50
    over = too_long(lines)
    assert not over, f"modules over {MAX_LINES} lines (split them along a real seam): " + ", ".join(
        f"{p} ({n})" for p, n in over.items()
    )


def test_the_check_names_a_long_module(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("x = 1\n", encoding="utf-8")
    (pkg / "sub" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    (pkg / "sub" / "limit.py").write_text("x = 1\n" * MAX_LINES, encoding="utf-8")
    lines = module_lines(pkg)
    assert lines == {"pkg/__init__.py": 1, "pkg/sub/long.py": MAX_LINES + 1, "pkg/sub/limit.py": MAX_LINES}
    assert too_long(lines) == {"pkg/sub/long.py": MAX_LINES + 1}
