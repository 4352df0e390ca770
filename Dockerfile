FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CHIBO_DATABASE_URL=sqlite+aiosqlite:////data/chibo.db \
    CHIBO_FILE_STORE=/data/files
WORKDIR /app

COPY pyproject.toml README.md hatch_build.py ./
COPY bot ./bot
COPY handlers ./handlers
COPY services ./services
COPY domain ./domain
COPY storage ./storage
COPY scheduler ./scheduler
COPY reports ./reports
COPY emulator ./emulator
RUN pip install --no-cache-dir . && useradd --create-home chibo && mkdir /data && chown chibo /data

USER chibo
VOLUME /data
EXPOSE 8443
CMD ["chibo", "run"]
