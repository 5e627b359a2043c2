package tools

// toolExamples holds one ready call per tool for the generated reference
// (docs/tools.md). Each runs against the sandbox's incident as printed: a
// test calls every one.
var toolExamples = map[string]string{
	NameListServices:       `{"date_from":"-24h"}`,
	NameGetSparkline:       `{"date_from":"-6h","services":["checkout"]}`,
	NameQueryLogs:          `{"services":["checkout"],"severity":["error"],"date_from":"-3h","limit":5}`,
	NameListAttributes:     `{"date_from":"-3h","services":["checkout"]}`,
	NameGetAttributeValues: `{"key":"service.version","date_from":"-3h","services":["checkout"]}`,
	NameManageViews:        `{"action":"list"}`,
	NameExplainLog:         `{"uuid":"<uuid printed by query_logs>","timestamp":"<its timestamp>"}`,
	NameGetLogPatterns:     `{"date_from":"-3h","services":["checkout"],"severity":["error"],"compare":"previous"}`,
	NameCountLogs:          `{"date_from":"-3h","services":["checkout"],"severity":["error"],"group_by":["service.version"]}`,
}
