"""Shared core of the NST platform: network, image intake, model registry, settings, logs."""
