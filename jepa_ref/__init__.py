"""jepa_ref: small, exact, CPU-first reference implementations of JEPA mechanisms.

Importing this package (and `jepa_ref.experiments`) does not import torch;
only running an experiment does.
"""

import os

# OpenMP threads that spin while waiting make torch 10-20x slower whenever another
# process shares the 2 cores (seen here: 32 s -> 12 min). It must be set before torch
# is first imported, which is why it lives here and not in runtime.configure_torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
