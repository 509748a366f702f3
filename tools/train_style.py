#!/usr/bin/env python3
"""Train a style from a prompt, an image or a mood board: the same code as `vjengine train`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vjengine.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
