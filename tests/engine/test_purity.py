"""The engine stands alone: NumPy and the standard library, never the UI libraries."""

import json
import subprocess
import sys
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parents[2]
UI_LIBRARIES = ("streamlit", "plotly", "pandas")

PROBE = """
import importlib, json, pkgutil, sys
import engine
modules = [m.name for m in pkgutil.iter_modules(engine.__path__, "engine.") if m.name != "engine.__main__"]
for name in modules:
    importlib.import_module(name)
print(json.dumps({"modules": modules,
                  "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def test_importing_every_engine_module_loads_no_ui_library():
    # A fresh interpreter, so nothing the test run itself imported can hide a leak.
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, f"importing the engine failed:\n{out.stderr}"
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert "engine.train" in report["modules"] and "engine.data" in report["modules"]
    leaked = [lib for lib in UI_LIBRARIES if lib in report["loaded"]]
    assert not leaked, f"importing the engine pulled in {leaked}"


def test_importing_the_package_alone_loads_no_ui_library():
    code = ("import engine, sys; engine.Trainer\n"  # the package's names load on first use
            "print(' '.join(sorted(m for m in sys.modules if '.' not in m)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    top_level = set(out.stdout.split())
    assert "numpy" in top_level
    assert not top_level & set(UI_LIBRARIES), f"import engine pulled in {top_level & set(UI_LIBRARIES)}"


def test_engine_source_never_names_a_ui_library_in_an_import():
    offenders = []
    for path in sorted(Path(engine.__path__[0]).rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            words = line.split()
            if words[:1] in (["import"], ["from"]) and any(
                    words[1].split(".")[0] == lib for lib in UI_LIBRARIES):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_process_settings_load_before_numpy():
    # The command line and the app call engine.runtime.tune_process() before NumPy
    # loads, so OPENBLAS_NUM_THREADS can still take effect.
    code = "import sys, engine.runtime; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "False"
