# route53-dnssec: one container; SQLite on the /data volume unless R53_DATABASE_URL names PostgreSQL.
#
# BASE_IMAGE is any Debian-family image: python:3.11-slim (the default, from Docker Hub) brings its own
# Python; a plain Debian 12 image (e.g. one built locally with debootstrap, see tests/container/smoke.sh) gets
# python3 from Debian. PIP_INDEX_URL names a PyPI mirror; pip trusts the base image's CA certificates.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS python
ENV DEBIAN_FRONTEND=noninteractive
# Debian's python3 only where the base has no Python of its own; no apt lists or caches stay behind.
RUN if ! command -v python3 >/dev/null; then \
        apt-get update \
        && apt-get install -y --no-install-recommends python3 \
        && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log; \
    fi

FROM python AS build
ARG PIP_INDEX_URL=https://pypi.org/simple
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_INDEX_URL=${PIP_INDEX_URL}
RUN if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends python3-venv; \
    fi
# The dependencies only (so this layer is rebuilt only when pyproject.toml changes): the service runs from
# /srv, where it finds alembic.ini and migrations/ beside app/.
COPY pyproject.toml /src/
RUN mkdir /src/app && touch /src/app/__init__.py /src/README.md \
    && python3 -m venv /opt/venv \
    && if [ -f /etc/ssl/certs/ca-certificates.crt ]; then export PIP_CERT=/etc/ssl/certs/ca-certificates.crt; fi \
    && /opt/venv/bin/pip install /src \
    && /opt/venv/bin/pip uninstall -y route53-dnssec pip setuptools

FROM python
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    R53_DATABASE_URL=sqlite+aiosqlite:////data/route53.db
RUN useradd --system --uid 10001 --home-dir /srv --no-create-home route53 \
    && mkdir /data && chown route53 /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app

USER route53
VOLUME ["/data"]
EXPOSE 8053 8054/udp 8054/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8053/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["python", "-m", "app", "serve", "--host", "0.0.0.0", "--port", "8053"]
