"""Print pyproject.toml's runtime dependencies, one per line (no extras).

Why: the Docker image installs them in a layer of their own, pinned by
requirements.lock, before copying the code; so a code change does not
re-download them. Reads only pyproject.toml (stdlib tomllib).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path


def runtime_dependencies(pyproject: Path) -> list[str]:
    with pyproject.open("rb") as fh:
        return list(tomllib.load(fh)["project"]["dependencies"])


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml")
    print("\n".join(runtime_dependencies(path)))
