FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBRIEF_ENV=production DEBRIEF_DATA_DIR=/var/lib/debrief DEBRIEF_STORAGE_DIR=/var/lib/debrief/storage
WORKDIR /app

COPY requirements.lock ./
# The lock is a complete, hashed closure, so pip's resolver is kept out of it with --no-deps (as in
# the Makefile): with it on, pip refused the hashed lock once a newer httpx than the locked one was
# published. `pip check` after the project's own install proves nothing is missing.
RUN pip install --no-cache-dir --no-deps --require-hashes -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps --no-build-isolation -e . \
 && pip check \
 && SECRET_KEY=collectstatic-only-$(python -c 'import secrets; print(secrets.token_hex(32))') ALLOWED_HOSTS=build \
    debrief collectstatic --noinput \
 && useradd --system --home /var/lib/debrief debrief && mkdir -p /var/lib/debrief/storage && chown -R debrief /var/lib/debrief

USER debrief
EXPOSE 8000
CMD ["gunicorn", "webapp.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
