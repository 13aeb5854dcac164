FROM alpine:3.19
ARG VERSION=1.2.3
ENV APP_ENV=production PATH=/usr/local/bin:$PATH
RUN --mount=type=secret,id=npm,env=NPM_TOKEN npm ci
