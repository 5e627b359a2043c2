package sandbox

import (
	"fmt"
	"time"
)

// weighted is one choice of a weighted random pick.
type weighted struct {
	weight int
	run    func(g *generator, at int64)
}

func pickWeighted(g *generator, choices []weighted) func(g *generator, at int64) {
	total := 0
	for _, c := range choices {
		total += c.weight
	}
	n := g.intn(total)
	for _, c := range choices {
		if n < c.weight {
			return c.run
		}
		n -= c.weight
	}
	return choices[len(choices)-1].run
}

// scenarios are user requests that cross services (sharing one trace id)
// and the background chatter of the services themselves.
var scenarios = []weighted{
	{8, (*generator).checkoutFlow},
	{12, (*generator).cartFlow},
	{20, (*generator).productFlow},
	{12, (*generator).searchFlow},
	{8, (*generator).loginFlow},
	{6, (*generator).tokenRefreshFlow},
	{3, (*generator).paymentWebhook},
	{4, (*generator).notificationJob},
	{50, (*generator).backgroundLine},
}

func (g *generator) scenario(at int64) { pickWeighted(g, scenarios)(g, at) }

var (
	declineCodes = []string{"card_expired", "insufficient_funds", "do_not_honor", "incorrect_cvc", "card_declined"}
	userAgents   = []string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"acme-ios/5.2.1 (iPhone15,2; iOS 18.1)",
		"acme-android/5.1.9 (Pixel 8; Android 15)",
		"curl/8.4.0",
	}
	searchTerms = []string{"running shoes", "wireless headphones", "coffee grinder", "yoga mat", "usb-c cable", "winter jacket", "desk lamp", "backpack"}
)

func httpAttrs(method, route string, status, durationMs int, extra ...attr) []attr {
	attrs := []attr{
		{"http.method", method},
		{"http.route", route},
		{"http.status_code", itoa(status)},
		{"duration_ms", itoa(durationMs)},
	}
	return append(attrs, extra...)
}

func severityForStatus(status int) severity {
	switch {
	case status >= 500:
		return sevError
	case status >= 400:
		return sevWarn
	}
	return sevInfo
}

// gatewayLine is the api-gateway access line closing every request.
func (g *generator) gatewayLine(at int64, trace [16]byte, method, route, target string, status, durationMs int) {
	ip, agent := g.clientIP(), g.pick(userAgents)
	body := fmt.Sprintf(`%s "%s %s HTTP/1.1" %d %d %dms "%s"`, ip, method, target, status, g.between(120, 24000), durationMs, agent)
	g.emit(line{
		at: at, svc: "api-gateway", sev: severityForStatus(status), body: body, trace: trace, span: g.spanID(),
		attrs: httpAttrs(method, route, status, durationMs,
			attr{"http.target", target}, attr{"client.ip", ip}, attr{"user_agent.original", agent}),
	})
}

func (g *generator) checkoutFlow(at int64) {
	trace := g.traceID()
	user, order := g.userID(), g.orderID()
	items, amount := g.between(1, 6), g.between(499, 48999)
	// The whole request must fall within the spike, so that no line of it
	// comes from the rolled-back pods.
	inc := g.topo.incident
	broken := inc.inSpike(at) && inc.inSpike(at+ms(1_000)) && g.chance(0.7)
	if broken {
		g.failedCheckout(at+ms(140), trace, user, order, false)
		return
	}
	decline := ""
	if g.chance(0.05) {
		decline = g.pick(declineCodes)
	}
	status, took := 200, g.between(90, 450)
	if decline != "" {
		status = 402
	}

	g.emit(line{at: at + ms(1), svc: "auth", sev: sevDebug, trace: trace, span: g.spanID(),
		body:  "verified session token for user " + user,
		attrs: []attr{{"user.id", user}, {"auth.method", "jwt"}}})
	g.emit(line{at: at + ms(3), svc: "checkout", sev: sevInfo, trace: trace, span: g.spanID(),
		body:  fmt.Sprintf("creating order %s for user %s with %d items (total %s USD)", order, user, items, money(amount)),
		attrs: []attr{{"user.id", user}, {"order.id", order}, {"http.route", "/api/checkout"}}})
	g.emit(line{at: at + ms(g.between(8, 30)), svc: "inventory", sev: sevInfo, trace: trace, span: g.spanID(),
		body:  fmt.Sprintf("reserved %d items for order %s", items, order),
		attrs: []attr{{"order.id", order}, {"duration_ms", itoa(g.between(3, 25))}}})
	g.emit(g.paymentLine(at+ms(g.between(40, took-20)), trace, user, order, amount, decline))
	if decline == "" {
		g.emit(line{at: at + ms(took-8), svc: "notifications", sev: sevInfo, trace: trace, span: g.spanID(),
			body:  fmt.Sprintf("queued receipt email for order %s (template receipt_v3)", order),
			attrs: []attr{{"order.id", order}, {"email.template", "receipt_v3"}, {"queue.name", "emails"}}})
	}
	g.emit(line{at: at + ms(took-2), svc: "checkout", sev: severityForStatus(status), trace: trace, span: g.spanID(),
		body:  fmt.Sprintf("POST /api/checkout %d in %dms", status, took),
		attrs: httpAttrs("POST", "/api/checkout", status, took, attr{"user.id", user}, attr{"order.id", order})})
	g.gatewayLine(at+ms(took), trace, "POST", "/api/checkout", "/api/checkout", status, took+g.between(1, 4))
}

func (g *generator) paymentLine(at int64, trace [16]byte, user, order string, amount int, decline string) line {
	attrs := []attr{{"user.id", user}, {"order.id", order}, {"payment.provider", "stripe"}, {"http.route", "/api/pay"}}
	if decline != "" {
		return line{at: at, svc: "payments", sev: sevError, trace: trace, span: g.spanID(),
			body: fmt.Sprintf("payment declined: %s (order %s, amount %s USD, provider stripe)", decline, order, money(amount)),
			attrs: append(attrs, attr{"payment.decline_code", decline}, attr{"http.status_code", "402"},
				attr{"duration_ms", itoa(g.between(120, 900))})}
	}
	return line{at: at, svc: "payments", sev: sevInfo, trace: trace, span: g.spanID(),
		body:  fmt.Sprintf("charge succeeded: order=%s amount=%s currency=USD provider=stripe charge=ch_%s", order, money(amount), g.alnum(24)),
		attrs: append(attrs, attr{"http.status_code", "200"}, attr{"duration_ms", itoa(g.between(80, 700))})}
}

func (g *generator) cartFlow(at int64) {
	trace, user := g.traceID(), g.userID()
	took := g.between(8, 60)
	if g.chance(0.5) {
		sku, qty := fmt.Sprintf("SKU-%04d", g.between(1000, 9999)), g.between(1, 3)
		g.emit(line{at: at + ms(2), svc: "inventory", sev: sevDebug, trace: trace, span: g.spanID(),
			body:  fmt.Sprintf("stock check %s: %d available in eu-west-1a", sku, g.between(0, 250)),
			attrs: []attr{{"product.sku", sku}, {"duration_ms", itoa(g.between(1, 9))}}})
		g.emit(line{at: at + ms(took-1), svc: "checkout", sev: sevInfo, trace: trace, span: g.spanID(),
			body:  fmt.Sprintf("added %s x%d to cart of %s", sku, qty, user),
			attrs: httpAttrs("POST", "/api/cart/items", 201, took, attr{"user.id", user}, attr{"product.sku", sku})})
		g.gatewayLine(at+ms(took), trace, "POST", "/api/cart/items", "/api/cart/items", 201, took+1)
		return
	}
	g.emit(line{at: at + ms(took-1), svc: "checkout", sev: sevDebug, trace: trace, span: g.spanID(),
		body:  fmt.Sprintf("loaded cart for %s: %d items", user, g.between(0, 8)),
		attrs: httpAttrs("GET", "/api/cart", 200, took, attr{"user.id", user})})
	g.gatewayLine(at+ms(took), trace, "GET", "/api/cart", "/api/cart", 200, took+1)
}

func (g *generator) productFlow(at int64) {
	trace, product := g.traceID(), g.between(1000, 9999)
	key := fmt.Sprintf("product:%d", product)
	hit := g.chance(0.8)
	took := g.between(2, 15)
	if !hit {
		took = g.between(15, 120)
	}
	outcome := "miss"
	if hit {
		outcome = "hit"
	}
	g.emit(line{at: at + ms(1), svc: "inventory", sev: sevDebug, trace: trace, span: g.spanID(),
		body:  fmt.Sprintf("cache %s for key %s (redis GET %.1fms)", outcome, key, float64(g.between(2, 30))/10),
		attrs: []attr{{"cache.key", key}, {"cache.hit", fmt.Sprint(hit)}}})
	status := 200
	if g.chance(0.02) {
		status = 404
	}
	target := fmt.Sprintf("/api/products/%d", product)
	body := fmt.Sprintf("GET %s %d in %dms", target, status, took)
	if status == 404 {
		body = fmt.Sprintf("product %d not found (GET %s)", product, target)
	}
	g.emit(line{at: at + ms(took-1), svc: "inventory", sev: severityForStatus(status), trace: trace, span: g.spanID(),
		body: body, attrs: httpAttrs("GET", "/api/products/:id", status, took)})
	if status == 200 && g.chance(0.4) {
		g.emit(line{at: at + ms(took+g.between(5, 40)), svc: "recommendations", sev: sevInfo, trace: trace, span: g.spanID(),
			body:  fmt.Sprintf("served %d recommendations for product %d (model v7, %dms)", g.between(4, 24), product, g.between(8, 60)),
			attrs: []attr{{"model.version", "v7"}, {"product.id", itoa(product)}}})
	}
	g.gatewayLine(at+ms(took+1), trace, "GET", "/api/products/:id", target, status, took+2)
}

func (g *generator) searchFlow(at int64) {
	trace, term := g.traceID(), g.pick(searchTerms)
	took := g.between(12, 180)
	if g.chance(0.05) {
		took = g.between(1100, 3200)
		g.emit(line{at: at + ms(took-3), svc: "search", sev: sevWarn, trace: trace, span: g.spanID(),
			body:  fmt.Sprintf("search backend slow: shard %d took %dms for query %q", g.between(0, 7), took-5, term),
			attrs: []attr{{"search.query", term}, {"duration_ms", itoa(took - 5)}}})
	}
	hits := g.between(0, 480)
	g.emit(line{at: at + ms(took-1), svc: "search", sev: sevInfo, trace: trace, span: g.spanID(),
		body:  fmt.Sprintf("search %q returned %d hits in %dms", term, hits, took),
		attrs: httpAttrs("GET", "/api/search", 200, took, attr{"search.query", term}, attr{"search.hits", itoa(hits)})})
	g.gatewayLine(at+ms(took), trace, "GET", "/api/search", "/api/search?q="+urlQueryEscape(term), 200, took+1)
}

func (g *generator) loginFlow(at int64) {
	trace, user := g.traceID(), g.userID()
	took := g.between(40, 260)
	method := g.pick([]string{"password", "password", "google_oauth", "sso"})
	status := 200
	switch {
	case g.chance(0.02):
		status = 423
		g.emit(line{at: at + ms(took-2), svc: "auth", sev: sevWarn, trace: trace, span: g.spanID(),
			body:  fmt.Sprintf("account %s locked for 15m after 5 failed logins from %s", user, g.clientIP()),
			attrs: httpAttrs("POST", "/api/login", status, took, attr{"user.id", user}, attr{"auth.method", method})})
	case g.chance(0.12):
		status = 401
		g.emit(line{at: at + ms(took-2), svc: "auth", sev: sevWarn, trace: trace, span: g.spanID(),
			body:  fmt.Sprintf("login failed for user %s: invalid password (attempt %d of 5)", user, g.between(1, 4)),
			attrs: httpAttrs("POST", "/api/login", status, took, attr{"user.id", user}, attr{"auth.method", "password"})})
	default:
		g.emit(line{at: at + ms(took-2), svc: "auth", sev: sevInfo, trace: trace, span: g.spanID(),
			body:  fmt.Sprintf("login succeeded for user %s via %s", user, method),
			attrs: httpAttrs("POST", "/api/login", status, took, attr{"user.id", user}, attr{"auth.method", method})})
	}
	g.gatewayLine(at+ms(took), trace, "POST", "/api/login", "/api/login", status, took+1)
}

func (g *generator) tokenRefreshFlow(at int64) {
	trace, user := g.traceID(), g.userID()
	took := g.between(5, 40)
	if g.chance(0.08) {
		expired := time.UnixMicro(at - ms(g.between(60_000, 86_400_000))).UTC().Format(time.RFC3339)
		g.emit(line{at: at + ms(took-1), svc: "auth", sev: sevWarn, trace: trace, span: g.spanID(),
			body: fmt.Sprintf("refresh rejected for %s: refresh token expired at %s", user, expired),
			attrs: httpAttrs("POST", "/api/token/refresh", 401, took,
				attr{"user.id", user}, attr{"session.expires_at", expired})})
		g.gatewayLine(at+ms(took), trace, "POST", "/api/token/refresh", "/api/token/refresh", 401, took+1)
		return
	}
	expires := time.UnixMicro(at + ms(3_600_000)).UTC().Format(time.RFC3339)
	g.emit(line{at: at + ms(took-1), svc: "auth", sev: sevDebug, trace: trace, span: g.spanID(),
		body: fmt.Sprintf("issued access token for %s, expires at %s", user, expires),
		attrs: httpAttrs("POST", "/api/token/refresh", 200, took,
			attr{"user.id", user}, attr{"session.expires_at", expires})})
	g.gatewayLine(at+ms(took), trace, "POST", "/api/token/refresh", "/api/token/refresh", 200, took+1)
}

func (g *generator) paymentWebhook(at int64) {
	trace := g.traceID()
	event := g.pick([]string{"payment_intent.succeeded", "payment_intent.succeeded", "charge.refunded", "charge.dispute.created"})
	took := g.between(4, 60)
	sev := sevInfo
	if event == "charge.dispute.created" {
		sev = sevWarn
	}
	g.emit(line{at: at + ms(took-1), svc: "payments", sev: sev, trace: trace, span: g.spanID(),
		body: fmt.Sprintf("stripe webhook %s evt_%s processed in %dms", event, g.alnum(24), took),
		attrs: httpAttrs("POST", "/webhooks/stripe", 200, took,
			attr{"payment.provider", "stripe"}, attr{"webhook.event", event})})
	g.gatewayLine(at+ms(took), trace, "POST", "/webhooks/stripe", "/webhooks/stripe", 200, took+1)
}

func (g *generator) notificationJob(at int64) {
	user := g.userID()
	template := g.pick([]string{"order_shipped", "password_reset", "weekly_digest", "cart_reminder"})
	if g.chance(0.1) {
		g.emit(line{at: at, svc: "notifications", sev: sevWarn,
			body:  fmt.Sprintf("SMTP 421 4.7.0 from mx%d.mail.example.net: try again later (attempt %d/5, template %s)", g.between(1, 4), g.between(2, 5), template),
			attrs: []attr{{"email.template", template}, {"queue.name", "emails"}, {"retry.attempt", itoa(g.between(2, 5))}}})
		return
	}
	g.emit(line{at: at, svc: "notifications", sev: sevInfo,
		body:  fmt.Sprintf("sent email template=%s to %s via ses (message id 0102019%s)", template, user, g.lowerAlnum(12)),
		attrs: []attr{{"email.template", template}, {"queue.name", "emails"}, {"user.id", user}, {"duration_ms", itoa(g.between(30, 400))}}})
}

func money(cents int) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func urlQueryEscape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			b = append(b, '+')
		} else {
			b = append(b, s[i])
		}
	}
	return string(b)
}
