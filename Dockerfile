# route53-dnssec: one container on SQLite (the database lives on the /data volume).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    R53_DATABASE_URL=sqlite+aiosqlite:////data/route53.db

RUN useradd --create-home --uid 10001 route53 && mkdir /data && chown route53 /data
WORKDIR /srv

# Dependencies first, so a source change does not reinstall them; the service runs from /srv.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py && pip install . && pip uninstall -y route53-dnssec

COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app

USER route53
VOLUME ["/data"]
EXPOSE 8053 8054/udp 8054/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8053/healthz', timeout=2).status != 200)"
ENTRYPOINT ["python", "-m", "app", "serve", "--host", "0.0.0.0", "--port", "8053"]
