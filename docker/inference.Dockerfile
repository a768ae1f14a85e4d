# ONE inference image for all four models: MODEL_NAME (model1..model4) picks the model.
# BASE_IMAGE: the base-ml image built from docker/base-ml.Dockerfile.
# checkov:skip=CKV_DOCKER_7: the base is an ARG whose default is a pinned version tag
ARG BASE_IMAGE=nst/base-ml:0.1.0
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="nst-inference"
COPY inference_services /app/inference_services
ENV MODEL_NAME=model1 \
    UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000
EXPOSE 8000
USER 10001:10001
# /ready: 200 only once the model is loaded and warmed up (cold start ~5-10 s).
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "/opt/nst/healthcheck.py", "/ready"]
CMD ["uvicorn", "--factory", "inference_services.app.main:create_app", \
     "--timeout-graceful-shutdown", "30"]
