FROM alpine:3.19
ARG NPM_TOKEN=npm_{{fake crc32 36}} # want PAL-111 "ARG NPM_TOKEN holds"
ENV GITHUB_TOKEN=ghp_{{fake crc32 36}} APP_ENV=prod # want PAL-111 "ENV GITHUB_TOKEN holds a .*[*]{4}"
