# syntax=docker/dockerfile:1
# Palisade's container image for builds with a container daemon:
#   docker build --build-arg VERSION=$(git describe --tags --always) -t palisade .
# `make image` builds the same file system (static binary, user 65532, no shell)
# reproducibly without a daemon, into an OCI image layout (tools/ociimage).
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/palisade-k8s/palisade/internal/cli.Version=$VERSION" \
      -o /out/palisade ./cmd/palisade

# distroless static: no shell, no package manager; nonroot is UID/GID 65532, given
# numerically so that the kubelet can enforce runAsNonRoot without a runAsUser.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="palisade" \
      org.opencontainers.image.source="https://github.com/palisade-k8s/palisade" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="$VERSION"
COPY --from=build /out/palisade /usr/local/bin/palisade
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/palisade"]
