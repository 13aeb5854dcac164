FROM alpine:3.19 AS base
RUN adduser -D app
USER 10001

FROM base
COPY app /app
ENTRYPOINT ["/app"]
