# Frontend: Debian's Nginx serving frontend/ (static UI) and proxying /api/ to the gateway,
# run as an unprivileged user on port 8080. Nginx writes only under /tmp, /run and
# /var/lib/nginx (emptyDir volumes in Kubernetes, where the root filesystem is read-only).
#
# frontend/nginx.conf is the template shared with local runs; at start the entrypoint
# renders it with envsubst, replacing only ${NST_*} variables (Nginx's own $vars stay).
# checkov:skip=CKV_DOCKER_7: the base is an ARG whose default is a pinned version tag
ARG BASE_IMAGE=debian:12.11-slim
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="nst-frontend"
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       nginx=1.22.1-9+deb12u* gettext-base=0.21-12 \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* /etc/nginx/conf.d/* \
    && groupadd --system --gid 10001 nst \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin nst \
    && mkdir -p /etc/nginx/nst /var/lib/nginx /var/log/nginx \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log \
    && chown -R 10001:10001 /var/lib/nginx /var/log/nginx /run
COPY docker/frontend-entrypoint.sh /usr/local/bin/nst-frontend
COPY frontend/nginx.conf /etc/nginx/nst/nginx.conf.template
COPY frontend/index.html /usr/share/nginx/html/index.html
COPY frontend/static /usr/share/nginx/html/static
# The placeholders of frontend/nginx.conf (see its header); NST_FRONTEND_PORT is the
# healthcheck's. NST_CLIENT_MAX_BODY_SIZE = NST_MAX_UPLOAD_BYTES + 64 KiB of form framing.
ENV NST_FRONTEND_LISTEN=8080 \
    NST_FRONTEND_PORT=8080 \
    NST_GATEWAY_UPSTREAM=gateway:8000 \
    NST_STATIC_ROOT=/usr/share/nginx/html \
    NST_NGINX_RUN_DIR=/tmp/nginx \
    NST_CLIENT_MAX_BODY_SIZE=10551296
EXPOSE 8080
USER 10001:10001
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/nst-frontend", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/nst-frontend"]
CMD ["serve"]
