"""The run service never loads streamlit (a page may import it; it never imports a page)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_run_service_loads_no_streamlit():
    code = ("import sys, runs, runs.service, runs.worker, runs.store, runs.__main__\n"
            "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    loaded = set(out.stdout.split())
    assert "runs" in loaded and "sqlite3" in loaded
    assert not loaded & {"streamlit", "plotly", "pandas"}
