package tools

// The tool reference (docs/tools.md) and the README's tool table are
// generated from this registry; TestDocsUpToDate in ./gendocs fails when
// they are stale.
//go:generate go run ./gendocs ..
