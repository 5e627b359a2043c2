package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ProtocolVersion is the MCP protocol version the measurements' clients speak.
const ProtocolVersion = "2025-11-25"

// Request encodes one JSON-RPC request (or, with id 0, a notification).
func Request(id int, method string, params any) ([]byte, error) {
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if id != 0 {
		msg["id"] = id
	}
	if params != nil {
		msg["params"] = params
	}
	return json.Marshal(msg)
}

// InitializeParams are the parameters of a client's initialize request.
func InitializeParams() map[string]any {
	return map[string]any{
		"protocolVersion": ProtocolVersion,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "posthog-logs-mcp-bench", "version": "1"},
	}
}

// CallParams are the parameters of a tools/call request.
func CallParams(tool string, args any) map[string]any {
	return map[string]any{"name": tool, "arguments": args}
}

// ToolResult is the part of a tools/call response the measurements check.
type ToolResult struct {
	Text    string
	IsError bool
}

// DecodeToolResponse reads a JSON-RPC tools/call response: a JSON-RPC
// error is an error, a tool error is reported in IsError.
func DecodeToolResponse(b []byte) (ToolResult, error) {
	var msg struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Result *struct {
			IsError bool `json:"isError"`
			Content []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &msg); err != nil {
		return ToolResult{}, fmt.Errorf("not a JSON-RPC response: %w", err)
	}
	if msg.Error != nil {
		return ToolResult{}, fmt.Errorf("JSON-RPC error %d: %s", msg.Error.Code, msg.Error.Message)
	}
	if msg.Result == nil {
		return ToolResult{}, errors.New("JSON-RPC response without result")
	}
	var parts []string
	for _, c := range msg.Result.Content {
		if c.Type == "text" {
			parts = append(parts, c.Text)
		}
	}
	return ToolResult{Text: strings.Join(parts, "\n"), IsError: msg.Result.IsError}, nil
}
