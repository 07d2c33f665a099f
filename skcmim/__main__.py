"""Entry point of ``python -m skcmim`` and of the ``skcmim`` console script.

Both run :func:`skcmim.cli.main`: ``skcmim embed`` (molecules to
embeddings), ``skcmim models`` (the pretrained models) and ``skcmim demo``
(MIM and cMIM trained on digits, compared with PCA); without a command it
prints its help.
"""

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
