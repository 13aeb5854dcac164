FROM debian:12
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
RUN apk add --no-cache curl
RUN dnf install -y git && dnf clean all
RUN pip install --no-cache-dir requests
RUN --mount=type=cache,target=/var/cache/apt apt-get install -y git
