package sandbox

import (
	"fmt"
	"strings"
)

// backgroundLines are single lines without a trace: probes, pool stats,
// slow queries, consumer lag, batch jobs, and the rare nasty lines (huge
// stack traces, leaked secrets, terminal escapes) a log tool must survive.
var backgroundLines = []weighted{
	{120, (*generator).healthCheck},
	{60, (*generator).poolStats},
	{40, (*generator).gcPause},
	{40, (*generator).slowQuery},
	{30, (*generator).cacheEviction},
	{25, (*generator).consumerLag},
	{20, (*generator).featureFlag},
	{15, (*generator).deprecatedClient},
	{12, (*generator).cronJob},
	{12, (*generator).serviceError},
	{22, (*generator).longBodyLine},
	{10, (*generator).secretLine},
	{8, (*generator).hostileLine},
	{2, (*generator).recommendationsPanic},
}

func (g *generator) backgroundLine(at int64) { pickWeighted(g, backgroundLines)(g, at) }

func (g *generator) anyService() string { return serviceSpecs[g.intn(len(serviceSpecs))].name }

func (g *generator) healthCheck(at int64) {
	took := g.between(1, 9)
	g.emit(line{at: at, svc: g.anyService(), sev: sevDebug,
		body:  fmt.Sprintf("GET /healthz 200 0.%dms (kube-probe/1.31)", took),
		attrs: httpAttrs("GET", "/healthz", 200, 0, attr{"user_agent.original", "kube-probe/1.31"})})
}

func (g *generator) poolStats(at int64) {
	active := g.between(0, 20)
	g.emit(line{at: at, svc: g.pick([]string{"checkout", "payments", "inventory", "auth"}), sev: sevTrace,
		body:  fmt.Sprintf("db pool stats: active=%d idle=%d waiting=%d max=20", active, 20-active, max(0, g.between(-10, 3))),
		attrs: []attr{{"db.system", "postgresql"}, {"db.pool.active", itoa(active)}}})
}

func (g *generator) gcPause(at int64) {
	before := g.between(300, 900)
	g.emit(line{at: at, svc: g.pick([]string{"payments", "search", "recommendations"}), sev: sevDebug,
		body:  fmt.Sprintf("gc pause %d.%dms, heap %dMB -> %dMB", g.between(1, 40), g.intn(10), before, before/2+g.between(0, 60)),
		attrs: []attr{{"runtime.gc.pause_ms", itoa(g.between(1, 40))}}})
}

var slowStatements = []string{
	"SELECT o.id, o.total_cents, o.status FROM orders o WHERE o.user_id = $1 ORDER BY o.created_at DESC LIMIT 50",
	"UPDATE stock SET reserved = reserved + $1 WHERE sku = $2 AND warehouse = $3",
	"SELECT p.* FROM products p JOIN categories c ON c.id = p.category_id WHERE c.slug = $1 AND p.active",
	"INSERT INTO payment_attempts (order_id, provider, amount_cents, outcome) VALUES ($1, $2, $3, $4)",
}

func (g *generator) slowQuery(at int64) {
	took := g.between(800, 6500)
	svc := g.pick([]string{"checkout", "inventory", "payments"})
	statement := g.pick(slowStatements)
	g.emit(line{at: at, svc: svc, sev: sevWarn,
		body:  fmt.Sprintf("slow query (%dms): %s", took, statement),
		attrs: []attr{{"db.system", "postgresql"}, {"db.statement", statement}, {"duration_ms", itoa(took)}}})
}

func (g *generator) cacheEviction(at int64) {
	if g.chance(0.3) {
		g.emit(line{at: at, svc: g.pick([]string{"inventory", "search"}), sev: sevWarn,
			body:  fmt.Sprintf("redis connection pool exhausted, waited %dms for a connection", g.between(20, 400)),
			attrs: []attr{{"db.system", "redis"}}})
		return
	}
	key := fmt.Sprintf("product:%d", g.between(1000, 9999))
	g.emit(line{at: at, svc: g.pick([]string{"inventory", "search"}), sev: sevDebug,
		body:  fmt.Sprintf("cache miss for key %s, loading from postgres", key),
		attrs: []attr{{"cache.key", key}, {"cache.hit", "false"}, {"db.system", "redis"}}})
}

func (g *generator) consumerLag(at int64) {
	lag := g.between(10, 5000)
	sev := sevInfo
	if lag > 2000 {
		sev = sevWarn
	}
	topic := g.pick([]string{"orders.created", "stock.changed", "emails.outbox"})
	g.emit(line{at: at, svc: g.pick([]string{"notifications", "inventory"}), sev: sev,
		body:  fmt.Sprintf("consumer lag on topic %s partition %d: %d messages", topic, g.intn(12), lag),
		attrs: []attr{{"messaging.destination", topic}, {"messaging.kafka.consumer_lag", itoa(lag)}}})
}

func (g *generator) featureFlag(at int64) {
	user := g.userID()
	flag := g.pick([]string{"new-checkout-flow", "one-click-pay", "search-v2-ranking"})
	g.emit(line{at: at, svc: g.pick([]string{"checkout", "search", "payments"}), sev: sevDebug,
		body:  fmt.Sprintf("feature flag %s evaluated to %v for %s", flag, g.chance(0.3), user),
		attrs: []attr{{"feature_flag.key", flag}, {"user.id", user}}})
}

func (g *generator) deprecatedClient(at int64) {
	agent := g.pick([]string{"acme-ios/4.9.0", "acme-android/4.8.3", "partner-feed/1.2"})
	g.emit(line{at: at, svc: "api-gateway", sev: sevWarn,
		body:  fmt.Sprintf("deprecated API version v1 used by client %s on /api/v1/products", agent),
		attrs: []attr{{"http.route", "/api/v1/products"}, {"user_agent.original", agent}}})
}

func (g *generator) cronJob(at int64) {
	if g.chance(0.25) {
		g.emit(line{at: at, svc: "", sev: sevWarn,
			body:  fmt.Sprintf("report job: %d rows skipped (missing currency)", g.between(1, 40)),
			attrs: []attr{{"job.name", "nightly-report"}}})
		return
	}
	g.emit(line{at: at, svc: "", sev: sevInfo,
		body:  fmt.Sprintf("report job: processed %d orders in %d.%ds", g.between(1000, 40000), g.between(5, 90), g.intn(10)),
		attrs: []attr{{"job.name", "nightly-report"}, {"duration_ms", itoa(g.between(5000, 90000))}}})
}

// serviceError gives every service some errors of its own, apart from the
// incident.
func (g *generator) serviceError(at int64) {
	switch g.intn(4) {
	case 0:
		g.emit(line{at: at, svc: "inventory", sev: sevError,
			body:  fmt.Sprintf("stock sync for SKU-%04d failed: warehouse API eu-west-1a returned 503 after 3 retries", g.between(1000, 9999)),
			attrs: []attr{{"http.status_code", "503"}, {"retry.attempt", "3"}}})
	case 1:
		g.emit(line{at: at, svc: "auth", sev: sevError,
			body:  "JWKS refresh from https://login.acme.dev/.well-known/jwks.json failed: context deadline exceeded",
			attrs: []attr{{"duration_ms", itoa(g.between(5000, 5100))}}})
	case 2:
		template, user := g.pick([]string{"order_shipped", "password_reset", "weekly_digest"}), g.userID()
		g.emit(line{at: at, svc: "notifications", sev: sevError,
			body:  fmt.Sprintf("giving up on email template=%s to %s after 5 attempts: 550 5.1.1 mailbox unavailable", template, user),
			attrs: []attr{{"email.template", template}, {"user.id", user}, {"retry.attempt", "5"}}})
	default:
		g.emit(line{at: at, svc: "recommendations", sev: sevError,
			body:  fmt.Sprintf("feature store lookup failed for product %d: redis timeout after 50ms, serving fallback", g.between(1000, 9999)),
			attrs: []attr{{"model.version", "v7"}, {"db.system", "redis"}}})
	}
}

// longBodyLine makes the ~1% of lines over 2,000 characters: stack traces
// and dumped payloads.
func (g *generator) longBodyLine(at int64) {
	switch g.intn(4) {
	case 0:
		g.emit(line{at: at, svc: "payments", sev: sevError, body: g.javaStackTrace(),
			attrs: []attr{{"exception.type", "java.sql.SQLTransientConnectionException"}, {"db.system", "postgresql"}}})
	case 1:
		g.emit(line{at: at, svc: "search", sev: sevError, body: g.pythonTraceback(),
			attrs: []attr{{"exception.type", "elasticsearch.exceptions.ConnectionTimeout"}}})
	case 2:
		g.emit(line{at: at, svc: "inventory", sev: sevDebug, body: g.bulkPayload(),
			attrs: []attr{{"messaging.destination", "stock.changed"}}})
	default:
		g.emit(line{at: at, svc: "api-gateway", sev: sevDebug, body: g.requestDump(),
			attrs: []attr{{"http.method", "POST"}, {"http.route", "/api/checkout"}}})
	}
}

func (g *generator) recommendationsPanic(at int64) {
	g.emit(line{at: at, svc: "recommendations", sev: sevFatal, body: g.goPanic(),
		attrs: []attr{{"exception.type", "runtime.boundsError"}}})
}

func (g *generator) javaStackTrace() string {
	var b strings.Builder
	b.WriteString("payment capture failed: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.\n")
	frames := []string{
		"com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)",
		"com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)",
		"com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:100)",
		"org.springframework.jdbc.datasource.DataSourceUtils.fetchConnection(DataSourceUtils.java:160)",
		"org.springframework.jdbc.core.JdbcTemplate.execute(JdbcTemplate.java:376)",
		"com.acme.payments.repository.PaymentAttemptRepository.insert(PaymentAttemptRepository.java:88)",
		"com.acme.payments.service.CaptureService.capture(CaptureService.java:142)",
		"com.acme.payments.api.CaptureController.post(CaptureController.java:57)",
		"org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)",
		"org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:166)",
		"org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:202)",
		"org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:399)",
		"org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1736)",
		"java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)",
		"java.base/java.lang.Thread.run(Thread.java:1583)",
	}
	for _, f := range frames {
		b.WriteString("\tat " + f + "\n")
	}
	b.WriteString("Caused by: org.postgresql.util.PSQLException: Connection to db-primary.shop.svc.cluster.local:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.\n")
	for _, f := range frames[:8] {
		b.WriteString("\tat " + f + "\n")
	}
	fmt.Fprintf(&b, "\t... %d more", g.between(20, 60))
	return b.String()
}

func (g *generator) pythonTraceback() string {
	var b strings.Builder
	b.WriteString("search request failed\nTraceback (most recent call last):\n")
	frames := [][2]string{
		{"/app/search/api/views.py", "results = backend.search(query, filters=filters, size=page_size)"},
		{"/app/search/backend/elastic.py", "response = self.client.search(index=self.index, body=body, request_timeout=2)"},
		{"/usr/local/lib/python3.12/site-packages/elasticsearch/_sync/client/utils.py", "return api(*args, **kwargs)"},
		{"/usr/local/lib/python3.12/site-packages/elasticsearch/_sync/client/__init__.py", "return self.perform_request(  # type: ignore[return-value]"},
		{"/usr/local/lib/python3.12/site-packages/elasticsearch/_sync/client/_base.py", "meta, resp_body = self.transport.perform_request("},
		{"/usr/local/lib/python3.12/site-packages/elastic_transport/_transport.py", "resp = node.perform_request("},
		{"/usr/local/lib/python3.12/site-packages/elastic_transport/_node/_http_urllib3.py", "raise err from e"},
	}
	for i, f := range frames {
		fmt.Fprintf(&b, "  File %q, line %d, in %s\n    %s\n", f[0], 40+i*37, []string{"get", "search", "wrapped", "search", "perform_request", "perform_request", "perform_request"}[i], f[1])
	}
	b.WriteString("elastic_transport.ConnectionTimeout: Connection timed out\n\nThe above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n")
	for i, f := range frames[:5] {
		fmt.Fprintf(&b, "  File %q, line %d, in handler\n    %s\n", f[0], 12+i*19, f[1])
	}
	fmt.Fprintf(&b, "elasticsearch.exceptions.ConnectionTimeout: ConnectionTimeout caused by - ReadTimeoutError(HTTPConnectionPool(host='es-%d.search.svc', port=9200): Read timed out. (read timeout=2))", g.intn(6))
	return b.String()
}

func (g *generator) bulkPayload() string {
	var b strings.Builder
	b.WriteString(`stock sync batch received: {"source":"warehouse-eu-west-1a","items":[`)
	n := g.between(40, 90)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku":"SKU-%04d","qty":%d,"reserved":%d}`, g.between(1000, 9999), g.between(0, 500), g.between(0, 20))
	}
	b.WriteString("]}")
	return b.String()
}

func (g *generator) requestDump() string {
	var b strings.Builder
	b.WriteString("upstream request dump (debug sampling 0.1%): POST /api/checkout\n")
	fmt.Fprintf(&b, "Authorization: Bearer %s\n", g.jwt())
	b.WriteString("Content-Type: application/json\nX-Request-Id: " + g.lowerAlnum(26) + "\n\n")
	b.WriteString(`{"cart":[`)
	for i := range g.between(25, 45) {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku":"SKU-%04d","qty":%d,"price_cents":%d}`, g.between(1000, 9999), g.between(1, 3), g.between(199, 19999))
	}
	fmt.Fprintf(&b, `],"shipping":{"country":"DE","method":"express"},"promo_code":null,"user_id":"%s"}`, g.userID())
	return b.String()
}

func (g *generator) goPanic() string {
	var b strings.Builder
	n := g.between(8, 14)
	fmt.Fprintf(&b, "panic: runtime error: index out of range [%d] with length %d\n\n", n, n)
	fmt.Fprintf(&b, "goroutine %d [running]:\n", g.between(100, 9000))
	frames := []string{
		"github.com/acme/recommendations/internal/rank.(*Ranker).topK(0xc000a1e000, {0xc0012c4000, 0xc, 0x10}, 0x18)\n\t/src/internal/rank/ranker.go:212 +0x3a5",
		"github.com/acme/recommendations/internal/rank.(*Ranker).Rank(0xc000a1e000, {0x1a2b3c0, 0xc000f0a0f0}, 0xc00098c1e0)\n\t/src/internal/rank/ranker.go:97 +0x1f4",
		"github.com/acme/recommendations/internal/api.(*Server).handleRecommendations(0xc0001b6000, {0x1a2d4e8, 0xc000e3c2a0}, 0xc000b8e900)\n\t/src/internal/api/recommendations.go:64 +0x2c8",
		"net/http.HandlerFunc.ServeHTTP(0x0?, {0x1a2d4e8?, 0xc000e3c2a0?}, 0x0?)\n\t/usr/local/go/src/net/http/server.go:2294 +0x29",
		"github.com/acme/recommendations/internal/api.(*Server).withTracing.func1({0x1a2d4e8, 0xc000e3c2a0}, 0xc000b8e780)\n\t/src/internal/api/middleware.go:41 +0x1b6",
		"net/http.HandlerFunc.ServeHTTP(0xc000b8e640?, {0x1a2d4e8?, 0xc000e3c2a0?}, 0x0?)\n\t/usr/local/go/src/net/http/server.go:2294 +0x29",
		"net/http.serverHandler.ServeHTTP({0xc000c2a3c0?}, {0x1a2d4e8?, 0xc000e3c2a0?}, 0x6?)\n\t/usr/local/go/src/net/http/server.go:3301 +0x8e",
		"net/http.(*conn).serve(0xc000d12000, {0x1a2f1c8, 0xc000b3e0c0})\n\t/usr/local/go/src/net/http/server.go:2102 +0x625",
		"created by net/http.(*Server).Serve in goroutine 1\n\t/usr/local/go/src/net/http/server.go:3454 +0x485",
	}
	for _, f := range frames {
		b.WriteString(f + "\n")
	}
	fmt.Fprintf(&b, "\ngoroutine 1 [IO wait, %d minutes]:\n", g.between(1, 900))
	for _, f := range frames[6:] {
		b.WriteString(f + "\n")
	}
	b.WriteString("exit status 2")
	return b.String()
}
