# Base of the ML images (inference, fine-tuning): Python 3.11, the pinned runtime
# (TensorFlow CPU and the rest of requirements.txt) in a venv at /opt/venv, and the shared
# package nst_core. No service code: each service image adds its own package on top.
#
# BASE_IMAGE: any Debian bookworm image with python3 (3.11) and python3-venv. The default is
# the official slim image; the CI smoke test builds from a local debootstrap image because
# it has no registry (scripts/ci/docker-smoke.sh).
# checkov:skip=CKV_DOCKER_7: the base is an ARG whose default is a pinned version tag
ARG BASE_IMAGE=python:3.11.13-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DEFAULT_TIMEOUT=180
RUN python3 -m venv /opt/venv
COPY requirements.txt /src/requirements.txt
# A CA bundle for a TLS-inspecting proxy may be handed in as the build secret `pip_ca`
# (docker build --secret id=pip_ca,src=...): mounted for this step only, never in a layer.
RUN --mount=type=secret,id=pip_ca \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi \
    && /opt/venv/bin/pip install -r /src/requirements.txt
COPY pyproject.toml /src/pyproject.toml
COPY nst_core /src/nst_core
# Only nst_core is in /src, so only nst_core is installed (pyproject finds what exists).
RUN --mount=type=secret,id=pip_ca \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi \
    && /opt/venv/bin/pip install --no-deps /src

FROM ${BASE_IMAGE}
# checkov:skip=CKV_DOCKER_2: a base image (its default command is the one-shot importer); every
# service image built on it declares its own HEALTHCHECK
LABEL org.opencontainers.image.title="nst-base-ml" \
      org.opencontainers.image.description="Python 3.11, TensorFlow CPU and nst_core" \
      org.opencontainers.image.source="https://example.invalid/nst-platform"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    NST_STORAGE_DIR=/data \
    TF_CPP_MIN_LOG_LEVEL=2
RUN groupadd --system --gid 10001 nst \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin nst \
    && mkdir -p /data /app \
    && chown 10001:10001 /data
COPY --from=build /opt/venv /opt/venv
COPY docker/healthcheck.py /opt/nst/healthcheck.py
WORKDIR /app
USER 10001:10001
# Storage bootstrap (the compose one-shot service and the Kubernetes Job use this image).
CMD ["python", "-m", "nst_core.importer", "--storage", "/data"]
