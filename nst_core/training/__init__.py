"""Training of the transform network: VGG19 loss network, losses, train step. Pure compute:
callers do the file I/O (see fine_tuning_service)."""
