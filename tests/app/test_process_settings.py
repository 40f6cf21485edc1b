"""The app's process runs BLAS on one thread (see engine/runtime.py).

The engine's matrices are tiny, so BLAS worker threads only add overhead and
contend with other sessions. The setting works only if the engine is imported
before NumPy loads: this guards the app's import order.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="counts threads through /proc (Linux)")
def test_importing_the_app_modules_keeps_blas_single_threaded():
    code = ("import os, ui.live, numpy as np\n"
            "a = np.ones((400, 400)); a @ a\n"
            "print(len(os.listdir('/proc/self/task')))")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "1", f"threads after a BLAS call: {out.stdout.strip()}"


def test_blas_loaded_before_the_app_is_limited_to_one_thread_too():
    # As when Streamlit has imported NumPy before the app's modules.
    code = ("import numpy, threadpoolctl, ui.session\n"
            "print([i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'])")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[1]", out.stdout
