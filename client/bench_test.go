package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// realisticPage renders a logs/query/ response of n rows shaped like PostHog's: a dozen
// attributes and resource attributes per row, bodies of a few hundred bytes, the echoed query.
func realisticPage(n int) []byte {
	services := []string{"checkout", "payments", "api-gateway", "auth", "inventory", "notifications"}
	severities := []string{"info", "info", "info", "warn", "error", "debug"}
	var b strings.Builder
	b.WriteString(`{"query":{"dateRange":{"date_from":"2026-11-25T12:00:00Z","date_to":null},"severityLevels":[],"serviceNames":[],"limit":51},"results":[`)
	base := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		ts := base.Add(-time.Duration(i) * 1317 * time.Millisecond).Format("2006-01-02T15:04:05.000000Z")
		svc := services[i%len(services)]
		sev := severities[i%len(severities)]
		row := map[string]any{
			"uuid": fmt.Sprintf("0199a%03d-7c1e-7b2a-9f3d-1c2b3a4d5e6f", i), "timestamp": ts, "observed_timestamp": ts,
			"body":          fmt.Sprintf("%s request handled: POST /api/v1/orders/%d status=%d duration=%dms user=user_%d trace=%032x; upstream responded with a payload of %d bytes after retrying the connection pool twice", svc, 10000+i, 200+(i%5)*100, 12+i*7, i*31, i*7919, 512+i),
			"severity_text": sev, "severity_number": 9, "level": sev,
			"trace_id": fmt.Sprintf("%032x", i*104729+1), "span_id": fmt.Sprintf("%016x", i*1299709+1),
			"attributes": map[string]string{
				"http.route": "/api/v1/orders/{id}", "http.method": "POST", "http.status_code": fmt.Sprint(200 + (i%5)*100),
				"user.id": fmt.Sprintf("user_%d", i*31), "duration_ms": fmt.Sprint(12 + i*7), "net.peer.ip": "10.0.3.17",
			},
			"resource_attributes": map[string]string{
				"service.name": svc, "k8s.namespace.name": "production", "k8s.pod.name": svc + "-7d9f8b6c5d-x2k4p",
				"host.name": "ip-10-0-3-17.ec2.internal", "deployment.environment": "production", "service.version": "2.14.1",
			},
			"resource_fingerprint": fmt.Sprint(1234567890123 + i%6), "instrumentation_scope": "github.com/acme/" + svc,
			"event_name": "", "live_logs_checkpoint": nil,
		}
		encoded, _ := json.Marshal(row)
		b.Write(encoded)
	}
	b.WriteString(`],"hasMore":true,"nextCursor":"eyJ0aW1lc3RhbXAiOiAiMjAyNi0xMS0yNVQxMzo1ODo1NS40NzBaIiwgInV1aWQiOiAiMDE5OWEwNDkifQ==","maxExportableLogs":10000,"columns":null}`)
	return []byte(b.String())
}

func TestRealisticPageDecodes(t *testing.T) {
	body := realisticPage(50)
	var fast, std LogsPage
	if err := fastDecodeLogsPage(body, &fast); err != nil {
		t.Fatalf("the fast path declined a realistic page: %v", err)
	}
	if err := json.Unmarshal(body, &std); err != nil || !reflect.DeepEqual(fast, std) {
		t.Fatalf("fast and encoding/json pages differ (%v)", err)
	}
	var page LogsPage
	if err := decodeLogsPage(body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Results) != 50 || page.Results[3].Service() != "auth" || len(page.Results[0].Attributes) != 6 {
		t.Fatalf("page %+v", page.Results[0])
	}
}

func BenchmarkQueryLogsDecode(b *testing.B) {
	body := realisticPage(50)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var page LogsPage
		if err := decodeLogsPage(body, &page); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQueryLogsRoundTrip(b *testing.B) {
	body := realisticPage(50)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := New(Options{Host: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	q := LogsQuery{Filters: Filters{
		From: time.Now().Add(-time.Hour), Severities: []string{"error"}, Services: []string{"checkout"},
		Properties: []PropertyFilter{{Key: "http.route", Type: "log_attribute", Operator: "exact", Value: "/api/pay"}},
	}, Limit: 50}
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		page, err := c.QueryLogs(ctx, testAuth, q)
		if err != nil || len(page.Results) != 50 {
			b.Fatal(err)
		}
	}
}

// BenchmarkConcurrentLargeAnswers: 64 callers at once, each answered with a page of about
// 30 MB, as in the memory incident of issue 7. It reports the peak Go heap in use while
// they run (sampled every 2 ms), with the default byte budget and with none (run one with -bench .*/default).
func BenchmarkConcurrentLargeAnswers(b *testing.B) {
	const callers = 64
	body := realisticPage(29500)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body) // no Content-Length: chunked, like a gzipped answer
	}))
	defer srv.Close()
	for _, bc := range []struct {
		name   string
		budget int64
	}{{"default-budget", 0}, {"no-budget", 1 << 40}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := New(Options{Host: srv.URL, MaxBufferedBytes: bc.budget, CallTimeout: 5 * time.Minute, AttemptTimeout: 5 * time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseIdleConnections()
			var peak uint64
			for b.Loop() {
				runtime.GC()
				stop := make(chan struct{})
				sampled := make(chan uint64)
				go func() {
					var m runtime.MemStats
					var top uint64
					tick := time.NewTicker(2 * time.Millisecond)
					defer tick.Stop()
					for {
						runtime.ReadMemStats(&m)
						top = max(top, m.HeapInuse)
						select {
						case <-stop:
							sampled <- top
							return
						case <-tick.C:
						}
					}
				}()
				var wg sync.WaitGroup
				for i := 0; i < callers; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						page, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{})
						if err != nil || len(page.Results) != 29500 {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
				close(stop)
				peak = max(peak, <-sampled)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(len(body))/(1<<20), "answer-MiB")
		})
	}
}
