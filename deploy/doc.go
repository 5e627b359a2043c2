// Package deploy holds no code: its test renders deploy/kubernetes with
// kustomize (pinned in go.mod, used as a library so no kustomize binary is
// needed) and checks the rendered objects offline. It is its own Go module so
// that the server's module does not carry kustomize's dependencies.
//
//	cd deploy && go test ./...
package deploy
