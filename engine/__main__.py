"""``python -m engine``: see :mod:`engine.cli`."""

import sys

from engine.runtime import tune_process  # imports no NumPy: must run before NumPy loads

tune_process()

from engine.cli import main  # noqa: E402

sys.exit(main())
