# syntax=docker/dockerfile:1
# One image for all five processes (gateway, profile, grading, recommend, alerts) and the ops
# commands (ops.bootstrap_db, ops.migrate). The Kubernetes manifests choose the command.
#   docker build -t clienttier:0.1.0 .
# Tag with the version, never :latest. Pin the base image by digest in CI
# (FROM python:3.11-slim@sha256:...) for reproducible builds.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: dependencies into a venv, gRPC stubs into gen/ ---------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv

WORKDIR /src
# Dependencies first, so code changes do not invalidate this layer. pyproject.toml declares no
# packages (the code runs from /app), so `pip install .` installs only the pinned dependencies,
# constrained to the exact tree in requirements.lock.
COPY pyproject.toml requirements.lock ./
RUN pip install -c requirements.lock .

# Stubs are generated once for the whole repo from protos/ (grpc_tools comes with the
# dependencies, same version as the runtime grpcio).
COPY protos/ protos/
RUN mkdir -p gen \
 && python -m grpc_tools.protoc -Iprotos --python_out=gen --pyi_out=gen --grpc_python_out=gen \
      $(find protos -name '*.proto')

# ---- runtime ------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app:/app/gen

# Numeric, non-root user: Kubernetes' runAsNonRoot can only verify a numeric UID, and the
# manifests run as 10001:10001 too. No home directory, no shell.
RUN groupadd --system --gid 10001 clienttier \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin clienttier

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --from=build /src/gen/ /app/gen/
# The application source; .dockerignore keeps tests, k8s/, local state and secrets out.
COPY . /app/
# Byte-compile now, as root: at run time the root filesystem is read-only (PYTHONDONTWRITEBYTECODE
# stops Python from trying to write __pycache__ there). Files stay root-owned, read-only to 10001.
RUN python -m compileall -q /app /opt/venv

USER 10001:10001

# gateway 50050, profile 50051, grading 50052, recommend 50053, alerts 50054 (gRPC, h2c).
EXPOSE 50050 50051 50052 50053 50054

# Every Deployment/Job states its own command, e.g.
#   ["python", "-m", "services.profile"]   ["python", "-m", "ops.migrate", "profile"]
# the gateway is only the default for a bare `docker run`.
CMD ["python", "-m", "gateway"]
