FROM alpine:3.19
USER app
RUN id
USER root:root # want PAL-107 "USER root:root"
