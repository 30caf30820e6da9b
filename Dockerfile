# iro-disputes: one image for every process (web, worker, mail receiver, migrations).
# Build: docker build -t iro-disputes .      Run: see compose.yaml and docs/operations.md
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- build: install the locked dependencies (hash-checked) and the app into a venv ---------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/iro-disputes
WORKDIR /src
COPY requirements/app.lock requirements/app.lock
RUN /opt/iro-disputes/bin/pip install --require-hashes -r requirements/app.lock
COPY pyproject.toml README.md ./
COPY escalation_rules escalation_rules
COPY workflow workflow
COPY notifications notifications
COPY council_data council_data
COPY api api
RUN /opt/iro-disputes/bin/pip install --no-deps . \
 && /opt/iro-disputes/bin/python -m compileall -q /opt/iro-disputes/lib

# -- run: the venv, the libraries WeasyPrint needs for PDFs, and a user that owns nothing else
FROM ${PYTHON_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/iro-disputes --create-home iro
COPY --from=build /opt/iro-disputes /opt/iro-disputes
ENV PATH=/opt/iro-disputes/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    IRO_DISPUTES_ENV=production \
    IRO_DISPUTES_DATA_DIR=/var/lib/iro-disputes \
    IRO_DISPUTES_MAIL_SINK=false
USER 10001:10001
WORKDIR /var/lib/iro-disputes
EXPOSE 8000 2525
# The web's liveness; the worker and mail receiver set their own check (compose.yaml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["iro-disputes"]
CMD ["serve", "--no-worker", "--host", "0.0.0.0", "--port", "8000"]
