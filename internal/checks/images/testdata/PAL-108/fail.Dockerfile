ARG VERSION=3.19
FROM alpine # want PAL-108 "no tag, so it means docker.io/library/alpine:latest"
FROM alpine:${VERSION} AS build # want PAL-108 "alpine:3.19 with the ARG defaults"
FROM build
FROM registry.example.com/team/app:1.2 # want PAL-108 "mutable tag 1.2"
USER 1000
