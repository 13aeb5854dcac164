FROM alpine:3.19
ADD --checksum=sha256:2222222222222222222222222222222222222222222222222222222222222222 https://example.com/tool.tar.gz /tmp/
ADD local.tar.gz /opt/
COPY http.conf /etc/
