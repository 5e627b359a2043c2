// Package packaging has no code: its tests check the release files at the
// repository root, so that what ships is what the tests ran.
//
//   - Dockerfile (docker_test.go): its exact build command produces a static
//     binary, and its ENTRYPOINT and CMD start a server that needs no key of
//     its own and answers /healthz.
//   - .goreleaser.yaml (release_test.go): linux, darwin and windows on amd64
//     and arm64 with checksums, built with the Dockerfile's flags; the
//     normal run cross-builds two representative targets with `go build`
//     (PACKAGING_ALL_TARGETS=1 builds all six; -short builds none).
//   - server.json (serverjson_test.go): valid against the MCP registry's
//     published schema (vendored in testdata), and naming only settings
//     the binary reads.
package packaging
