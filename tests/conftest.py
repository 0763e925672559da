import os
import sys

# The project root on sys.path so the packages (and benchmarks/) import even when
# the package is not installed (it is, editable, under `make test`).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
