# posthog-logs-mcp over Streamable HTTP, for a team (see README, "Running for a team").
#   docker build --build-arg VERSION=v0.1.0 -t posthog-logs-mcp .
#   docker run --rm --read-only -p 127.0.0.1:8080:8080 posthog-logs-mcp
# No PostHog key is baked in or needed: every caller sends its own
# (Authorization: Bearer phx_...), which is what lets it listen beyond loopback.
# packaging/docker_test.go runs the build command below and the CMD.
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH=amd64
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=${VERSION}" -o /out/posthog-logs-mcp ./cmd/posthog-logs-mcp

# Static binary on distroless: CA certificates for PostHog's TLS, no shell,
# and nothing written to disk (runs with a read-only root filesystem).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/posthog-logs-mcp /posthog-logs-mcp
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/posthog-logs-mcp"]
CMD ["--transport", "http", "--listen", "0.0.0.0:8080", "--log-format", "json"]
