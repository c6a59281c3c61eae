# One image for every service; the service to run is the argument:
#   docker run partanum inventory
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt /src/requirements.txt
RUN pip install -r /src/requirements.txt

COPY . /src
RUN pip install --no-deps /src

# Runs from its own directory, not the source tree: SQLite files, if no
# <SERVICE>_DATABASE_URL is given, land in /home/partanum/var.
RUN useradd --create-home --uid 10001 partanum
USER partanum
WORKDIR /home/partanum

ENTRYPOINT ["python", "-m", "partanum.run"]
