"""``python -m engine``: see :mod:`engine.cli`."""

import os
import sys

# The engine's matrices are small: BLAS threads only add overhead (and contend
# with other work on the machine). Must be set before NumPy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from engine.cli import main  # noqa: E402

sys.exit(main())
