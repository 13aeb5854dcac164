FROM alpine:3.19
RUN curl -fsSL https://example.com/install.sh | sh # want PAL-110 "curl .* [|] sh"
RUN wget -qO- https://example.com/i.sh | \ # want PAL-110
    sudo -E bash
RUN sh -c "$(curl -fsSL https://example.com/install.sh)" # want PAL-110
