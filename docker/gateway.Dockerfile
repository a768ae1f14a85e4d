# Gateway (routing_service). It never imports TensorFlow, so it does not sit on base-ml:
# a build stage installs requirements.txt minus TensorFlow into a venv (~0.2 GB instead
# of ~1.5 GB), and the runtime stage gets only that venv and the code.
# checkov:skip=CKV_DOCKER_7: the base is an ARG whose default is a pinned version tag
ARG BASE_IMAGE=python:3.11.13-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DEFAULT_TIMEOUT=180
RUN python3 -m venv /opt/venv
COPY requirements.txt /src/requirements.txt
# Same pins as every service, TensorFlow left out; the CA bundle is a build secret only.
RUN --mount=type=secret,id=pip_ca \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi \
    && grep -v -E '^tensorflow' /src/requirements.txt > /src/requirements-gateway.txt \
    && /opt/venv/bin/pip install -r /src/requirements-gateway.txt
COPY pyproject.toml /src/pyproject.toml
COPY nst_core /src/nst_core
RUN --mount=type=secret,id=pip_ca \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi \
    && /opt/venv/bin/pip install --no-deps /src

FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="nst-gateway"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    NST_STORAGE_DIR=/data \
    UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000
RUN groupadd --system --gid 10001 nst \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin nst \
    && mkdir -p /data /app \
    && chown 10001:10001 /data
COPY --from=build /opt/venv /opt/venv
COPY docker/healthcheck.py /opt/nst/healthcheck.py
COPY routing_service /app/routing_service
WORKDIR /app
EXPOSE 8000
USER 10001:10001
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/opt/nst/healthcheck.py", "/health"]
CMD ["uvicorn", "--factory", "routing_service.app.main:create_app", \
     "--timeout-graceful-shutdown", "30"]
