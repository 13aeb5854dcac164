FROM alpine:3.19
COPY .git /src/.git # want PAL-112 "COPY .git copies a git repository"
COPY .env config/ /app/ # want PAL-112 "environment file"
ADD id_rsa /root/.ssh/ # want PAL-112 "SSH keys"
COPY ["certs/server.pem", "/etc/ssl/"] # want PAL-112 "private key"
COPY --chown=app .npmrc .docker/config.json /home/app/ # want PAL-112 PAL-112
