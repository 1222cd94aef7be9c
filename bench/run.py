"""Run every benchmark in bench/ (files named *_bench.py) and print their figures."""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
for script in sorted(here.glob("*_bench.py")):
    print(f"\n=== {script.name}", flush=True)
    subprocess.run([sys.executable, str(script)], cwd=here.parent, check=False)
