"""jepa_ref: small, exact, CPU-first reference implementations of JEPA mechanisms.

Importing this package (and `jepa_ref.experiments`) does not import torch;
only running an experiment does.
"""
