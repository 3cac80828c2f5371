# AuthDoctor as a container: gunicorn with the package's settings (authdoctor serve),
# as a non-root user, on 0.0.0.0:8000. Build: docker build -t authdoctor .
# Configuration is the AUTHDOCTOR_* variables (README, Configuration).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AUTHDOCTOR_BIND=0.0.0.0:8000 \
    AUTHDOCTOR_METRICS_DIR=/tmp/authdoctor-metrics \
    AUTHDOCTOR_CACHE_DIR=/tmp/authdoctor-cache

# The package from this checkout, with the Redis and PostgreSQL extras, at the
# pinned versions of requirements.txt; the source is removed once installed.
COPY . /src
RUN python -m pip install --no-cache-dir -c /src/requirements.txt "/src[redis,postgres]" && rm -rf /src

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin authdoctor
USER 10001
WORKDIR /tmp
EXPOSE 8000

# /healthz answers once the KB is loaded; the standard library only, no curl in the image
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3).status != 200)"]

CMD ["authdoctor", "serve"]
