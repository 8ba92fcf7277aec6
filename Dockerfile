# CozyWish production image: gunicorn serving wsgi:app on port 8000.
# The same image runs the job worker: `flask jobs worker` (see docker-compose.yml).

# 1. Front-end packages from the npm registry (package-lock.json pins them).
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# 2. Python dependencies in a virtualenv; static/vendor/ and static/dist/ (hashed, compressed) built by scripts/.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
COPY requirements.txt /tmp/requirements.txt
RUN /venv/bin/pip install -r /tmp/requirements.txt
WORKDIR /src
COPY scripts/vendor.py scripts/build_static.py scripts/
COPY --from=assets /src/node_modules node_modules
COPY static static
RUN python scripts/vendor.py && /venv/bin/python scripts/build_static.py

# 3. Runtime: the virtualenv, the application code and the vendored files; no node, no compilers.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/venv/bin:$PATH \
    FLASK_APP=wsgi \
    COZYWISH_ENV=production \
    PROMETHEUS_MULTIPROC_DIR=/app/instance/metrics
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin cozywish
WORKDIR /app
COPY --from=build /venv /venv
# Copy only what the app needs (no .venv, node_modules, instance/ or .env from the build context).
# tests/ops/test_image.py imports the app from exactly these paths: a new top-level
# package that is not listed here fails CI.
COPY config.py wsgi.py ./
COPY app ./app
COPY search ./search
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY --from=build /src/static ./static
# instance/ holds uploads (instance/uploads, a volume in docker-compose.yml); the app writes there.
RUN mkdir -p /app/instance/uploads /app/instance/metrics && chown -R cozywish:cozywish /app/instance
USER cozywish
EXPOSE 8000
# /healthz is exempt from the https redirect; it only says the process answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# No gunicorn access log: the app writes its own, as JSON, with tokens and emails masked.
CMD ["gunicorn", "--config", "python:app.ops.gunicorn_hooks", "--bind", "0.0.0.0:8000", "wsgi:app"]
