FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CHIBO_DATABASE_URL=sqlite+aiosqlite:////data/chibo.db \
    CHIBO_FILE_STORE=/data/files
WORKDIR /app

# The locked dependencies first, in a layer of their own: a change to the code reuses it.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml README.md hatch_build.py ./
COPY bot ./bot
COPY chat ./chat
COPY handlers ./handlers
COPY services ./services
COPY domain ./domain
COPY storage ./storage
COPY scheduler ./scheduler
COPY reports ./reports
COPY emulator ./emulator
RUN pip install --no-cache-dir --no-deps . && useradd --create-home chibo && mkdir /data && chown chibo /data

USER chibo
VOLUME /data
EXPOSE 8443
# `chibo health`: the bot's /healthz in webhook mode (CHIBO_WEBHOOK_URL), the database otherwise.
HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 CMD ["chibo", "health"]
CMD ["chibo", "run"]
