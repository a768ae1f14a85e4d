#!/bin/sh
# Entrypoint of the frontend image: render the Nginx configuration into /tmp/nginx
# (substituting only ${NST_*} variables), then run Nginx in the foreground.
# `healthcheck` GETs / on the local port (the image has no curl: bash's /dev/tcp);
# NST_HEALTHCHECK_HOST overrides the address (host-network tests bind another one).
set -eu
conf_dir=/tmp/nginx
port="${NST_FRONTEND_PORT:-8080}"
health_host="${NST_HEALTHCHECK_HOST:-127.0.0.1}"

render() {
    mkdir -p "$conf_dir"
    vars=$(env | sed -n 's/^\(NST_[A-Z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
    envsubst "$vars" < /etc/nginx/nst/nginx.conf.template > "$conf_dir/nginx.conf"
}

case "${1:-serve}" in
    serve)
        render
        nginx -t -q -c "$conf_dir/nginx.conf"
        exec nginx -c "$conf_dir/nginx.conf" -g 'daemon off;'
        ;;
    healthcheck)
        exec bash -c "exec 3<>/dev/tcp/$health_host/$port && printf 'GET / HTTP/1.0\r\n\r\n' >&3 \
            && head -n1 <&3 | grep -q ' 200 '"
        ;;
    *)
        exec "$@"
        ;;
esac
