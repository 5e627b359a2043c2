// Package sanitize makes untrusted log content safe to show to a model or a terminal.
//
// Log bodies and attribute values are written by whoever produced the logs. Text strips what could
// hide or disguise content (terminal escape sequences, control, bidi and invisible characters,
// invalid UTF-8); Secrets masks well-known credential shapes so they never reach the model.
//
// Both run on every string of every row, so the common case (clean text, nothing to mask) is a
// single pass over the bytes that returns the input itself without allocating.
package sanitize
