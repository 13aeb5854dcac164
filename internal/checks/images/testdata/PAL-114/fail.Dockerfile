FROM debian:12
RUN apt-get update && apt-get install -y curl # want PAL-114 "apt install without rm -rf /var/lib/apt/lists"
RUN apk add curl # want PAL-114 "apk add without --no-cache"
RUN dnf install -y git # want PAL-114 "dnf install without dnf clean all"
RUN pip install requests # want PAL-114 "pip install without --no-cache-dir"
