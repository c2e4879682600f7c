"""`python -m handpose_live.cli` (what torchrun runs for several GPUs)."""
import sys

from handpose_live.cli import main

sys.exit(main())
