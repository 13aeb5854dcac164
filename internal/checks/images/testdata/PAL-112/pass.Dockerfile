FROM alpine:3.19 AS build
COPY . .
COPY .env.example /app/
COPY src/ /app/src/
FROM alpine:3.19
COPY --from=build /app/.env /app/
