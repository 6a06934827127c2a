"""Small models shared by the experiments.

`encoder` (CNN + BatchNorm projector), `predictor` (action-conditioned MLP and a
small AdaLN-zero transformer), `decoder` (pixel decoder of the autoencoder
baseline). Each module is imported directly by the code that needs it.
"""
