# Frontend: Debian's Nginx serving frontend/ (static UI) and proxying /api/ to the gateway,
# run as an unprivileged user on port 8080. Nginx writes only under /tmp, /run and
# /var/lib/nginx (emptyDir volumes in Kubernetes, where the root filesystem is read-only).
#
# frontend/nginx.conf is either a full nginx.conf (with an `http {}` block) or a server
# block; a server block is included into docker/nginx-main.conf. At start the entrypoint
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
COPY docker/nginx-main.conf /etc/nginx/nst/main.conf.template
COPY docker/frontend-entrypoint.sh /usr/local/bin/nst-frontend
COPY frontend/nginx.conf /etc/nginx/nst/site.conf.template
COPY frontend/index.html /usr/share/nginx/html/index.html
COPY frontend/static /usr/share/nginx/html/static
ENV NST_FRONTEND_PORT=8080 \
    NST_FRONTEND_ROOT=/usr/share/nginx/html \
    NST_GATEWAY_URL=http://gateway:8000 \
    NST_CLIENT_MAX_BODY_SIZE=11m
EXPOSE 8080
USER 10001:10001
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/nst-frontend", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/nst-frontend"]
CMD ["serve"]
