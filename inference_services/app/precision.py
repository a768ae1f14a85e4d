"""Pick the compute dtype: bfloat16 where the CPU has native BF16 dot products, else fp32."""

from __future__ import annotations

import logging
from pathlib import Path

import tensorflow as tf

log = logging.getLogger("nst.inference")


def cpu_has_bf16(cpuinfo: str | None = None) -> bool:
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
    flags = set(cpuinfo.split())
    return bool({"avx512_bf16", "amx_bf16"} & flags)


def resolve_compute_dtype(precision: str) -> tf.DType:
    if precision == "fp32":
        return tf.float32
    if precision == "bf16":
        return tf.bfloat16
    dtype = tf.bfloat16 if cpu_has_bf16() else tf.float32
    log.info("compute dtype", extra={"dtype": dtype.name})
    return dtype
