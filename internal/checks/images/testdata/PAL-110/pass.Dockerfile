FROM alpine:3.19
RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \
 && echo "3333  /tmp/install.sh" | sha256sum -c - \
 && sh /tmp/install.sh
RUN curl -s https://example.com/data.json | jq .version
