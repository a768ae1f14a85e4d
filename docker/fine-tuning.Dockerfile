# Fine-tuning service (admin only, never exposed publicly). NST_ADMIN_TOKEN comes from the
# environment (a Kubernetes Secret, or .env with compose): no value is ever baked in.
# BASE_IMAGE: the base-ml image built from docker/base-ml.Dockerfile.
# checkov:skip=CKV_DOCKER_7: the base is an ARG whose default is a pinned version tag
ARG BASE_IMAGE=nst/base-ml:0.1.0
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="nst-fine-tuning"
COPY fine_tuning_service /app/fine_tuning_service
ENV UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000
EXPOSE 8000
USER 10001:10001
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/opt/nst/healthcheck.py", "/health"]
CMD ["uvicorn", "--factory", "fine_tuning_service.app.main:create_app", \
     "--timeout-graceful-shutdown", "30"]
