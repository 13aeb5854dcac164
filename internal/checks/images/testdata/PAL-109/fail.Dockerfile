FROM alpine:3.19
ADD https://example.com/tool.tar.gz /tmp/ # want PAL-109 "ADD downloads https://example.com/tool.tar.gz"
