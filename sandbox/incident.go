package sandbox

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// incidentLines writes the deploy of checkout v2.14.0 at Now-2h10m, the
// promotion that trips its bug at Now-2h, the error spike, and the
// rollback at Now-1h45m.
func (g *generator) incidentLines() {
	inc := g.topo.incident
	deployAttrs := []attr{{"deploy.version", checkoutNewVersion}, {"deploy.previous_version", checkoutOldVersion}}
	g.emit(line{at: inc.deployAt, svc: "checkout", sev: sevInfo, attrs: deployAttrs,
		body: fmt.Sprintf("deploy started: checkout v%s (image registry.acme.internal/shop/checkout:%s, previous v%s)",
			checkoutNewVersion, checkoutNewVersion, checkoutOldVersion)})
	for i, pod := range g.topo.checkoutNew {
		name, _ := pod.lookup("k8s.pod.name")
		g.emit(line{at: inc.deployAt + ms(35_000*(i+1)), svc: "checkout", sev: sevInfo, attrs: deployAttrs,
			body: fmt.Sprintf("pod %s ready, serving v%s", name, checkoutNewVersion)})
	}
	g.emit(line{at: inc.deployAt + ms(150_000), svc: "checkout", sev: sevInfo, attrs: deployAttrs,
		body: fmt.Sprintf("deploy finished: checkout v%s rolled out to %d/%d pods in 2m30s",
			checkoutNewVersion, len(g.topo.checkoutNew), len(g.topo.checkoutNew))})
	g.emit(line{at: inc.spikeStart, svc: "checkout", sev: sevInfo,
		attrs: []attr{{"promotion.code", inc.promoCode}},
		body:  fmt.Sprintf("promotion %s activated: 25%% off orders over 50 USD", inc.promoCode)})

	span := inc.spikeEnd - inc.spikeStart
	for range inc.spikeErrors {
		at := inc.spikeStart + ms(2_000) + g.rng.Int64N(span-ms(4_000))
		g.spikeLine(at)
	}

	rollbackAttrs := []attr{{"deploy.version", checkoutOldVersion}, {"deploy.previous_version", checkoutNewVersion}}
	g.emit(line{at: inc.rollbackAt, svc: "checkout", sev: sevWarn, attrs: rollbackAttrs,
		body: fmt.Sprintf("rollback started: checkout v%s -> v%s (5xx rate 41%% over the last 5m)", checkoutNewVersion, checkoutOldVersion)})
	g.emit(line{at: inc.rollbackAt + ms(95_000), svc: "checkout", sev: sevInfo, attrs: rollbackAttrs,
		body: fmt.Sprintf("rollback finished: checkout v%s serving %d/%d pods", checkoutOldVersion, len(g.topo.checkoutAfter), len(g.topo.checkoutAfter))})
}

// spikeLine is one error of the incident, most of them the promotion bug.
func (g *generator) spikeLine(at int64) {
	trace, user, order := g.traceID(), g.userID(), g.orderID()
	switch n := g.intn(100); {
	case n < 55:
		g.failedCheckout(at, trace, user, order, false)
	case n < 70:
		g.failedCheckout(at, trace, user, order, true)
	case n < 88:
		took := g.between(20, 90)
		g.emit(line{at: at, svc: "checkout", sev: sevError, trace: trace, span: g.spanID(),
			body:  fmt.Sprintf("POST /api/checkout 500 in %dms", took),
			attrs: httpAttrs("POST", "/api/checkout", 500, took, attr{"user.id", user}, attr{"order.id", order})})
		g.gatewayLine(at+ms(1), trace, "POST", "/api/checkout", "/api/checkout", 500, took+1)
	case n < 97:
		g.emit(line{at: at, svc: "checkout", sev: sevError, trace: trace, span: g.spanID(),
			body:  fmt.Sprintf("circuit breaker payments-client open after %d consecutive failures, failing fast", g.between(20, 60)),
			attrs: []attr{{"circuit_breaker.name", "payments-client"}, {"order.id", order}}})
	default:
		g.emit(line{at: at, svc: "checkout", sev: sevFatal,
			body:  fmt.Sprintf("worker %d crashed: unhandled promise rejection in pricing pipeline; restarting", g.between(1, 8)),
			attrs: []attr{{"exception.type", "TypeError"}}})
	}
}

// failedCheckout is one request the bug breaks, as its trace shows it:
// the session is verified, checkout creates the order and inventory
// reserves the items, pricing crashes on the promotion, inventory releases
// the reservation, checkout answers 500 and the gateway logs the request.
// The promotion error is stamped at about at; the request started up to
// 140 ms before it and the gateway's line follows it by a few ms.
func (g *generator) failedCheckout(at int64, trace [16]byte, user, order string, fullStack bool) {
	took := g.between(25, 140)
	begin := at - ms(took-5)
	items, amount := g.between(1, 6), g.between(5001, 48999)
	g.emit(line{at: begin + ms(1), svc: "auth", sev: sevDebug, trace: trace, span: g.spanID(),
		body:  "verified session token for user " + user,
		attrs: []attr{{"user.id", user}, {"auth.method", "jwt"}}})
	g.emit(line{at: begin + ms(3), svc: "checkout", sev: sevInfo, trace: trace, span: g.spanID(),
		body: fmt.Sprintf("creating order %s for user %s with %d items (total %s USD, promotion %s)",
			order, user, items, money(amount), g.topo.incident.promoCode),
		attrs: []attr{{"user.id", user}, {"order.id", order}, {"http.route", "/api/checkout"}, {"promotion.code", g.topo.incident.promoCode}}})
	g.emit(line{at: begin + ms(g.between(6, min(18, took-12))), svc: "inventory", sev: sevInfo, trace: trace, span: g.spanID(),
		body:  fmt.Sprintf("reserved %d items for order %s", items, order),
		attrs: []attr{{"order.id", order}, {"duration_ms", itoa(g.between(3, 9))}}})
	g.emit(g.promoFailure(at, trace, user, order, fullStack))
	g.emit(line{at: at + ms(2), svc: "inventory", sev: sevInfo, trace: trace, span: g.spanID(),
		body:  fmt.Sprintf("released reservation of %d items for order %s (order not placed)", items, order),
		attrs: []attr{{"order.id", order}}})
	g.emit(line{at: at + ms(3), svc: "checkout", sev: sevError, trace: trace, span: g.spanID(),
		body:  fmt.Sprintf("POST /api/checkout 500 in %dms", took),
		attrs: httpAttrs("POST", "/api/checkout", 500, took, attr{"user.id", user}, attr{"order.id", order})})
	g.gatewayLine(at+ms(5), trace, "POST", "/api/checkout", "/api/checkout", 500, took+g.between(1, 4))
}

// promoFailure is the bug v2.14.0 shipped: discounts without percentOff crash.
func (g *generator) promoFailure(at int64, trace [16]byte, user, order string, fullStack bool) line {
	var b strings.Builder
	fmt.Fprintf(&b, "failed to apply promotion %s to order %s: %s\n", g.topo.incident.promoCode, order, promoErrorText)
	frames := []string{
		"applyDiscount (/app/dist/pricing/discounts.js:88:41)",
		"OrderService.computeTotals (/app/dist/orders/service.js:214:23)",
		"async OrderService.create (/app/dist/orders/service.js:132:19)",
		"async CheckoutController.post (/app/dist/http/checkout.js:57:21)",
	}
	if fullStack {
		frames = append(frames,
			"async /app/node_modules/express-async-handler/index.js:3:12",
			"Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)",
			"next (/app/node_modules/express/lib/router/route.js:149:13)",
			"Route.dispatch (/app/node_modules/express/lib/router/route.js:119:3)",
			"Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)",
			"/app/node_modules/express/lib/router/index.js:284:15",
			"Function.process_params (/app/node_modules/express/lib/router/index.js:346:12)",
			"next (/app/node_modules/express/lib/router/index.js:280:10)",
			"authenticate (/app/dist/http/middleware/auth.js:44:5)",
			"Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)",
			"trim_prefix (/app/node_modules/express/lib/router/index.js:328:13)",
			"/app/node_modules/express/lib/router/index.js:286:9",
			"Function.process_params (/app/node_modules/express/lib/router/index.js:346:12)",
			"next (/app/node_modules/express/lib/router/index.js:280:10)",
			"jsonParser (/app/node_modules/body-parser/lib/types/json.js:113:7)",
			"Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)",
			"trim_prefix (/app/node_modules/express/lib/router/index.js:328:13)",
			"/app/node_modules/express/lib/router/index.js:286:9",
			"Function.process_params (/app/node_modules/express/lib/router/index.js:346:12)",
			"next (/app/node_modules/express/lib/router/index.js:280:10)",
			"expressInit (/app/node_modules/express/lib/middleware/init.js:40:5)",
			"Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)",
			"process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
		)
	}
	for _, f := range frames {
		b.WriteString("    at " + f + "\n")
	}
	fmt.Fprintf(&b, "context: promotion=%s cart_items=%d release=v%s", g.topo.incident.promoCode, g.between(1, 6), checkoutNewVersion)
	return line{at: at, svc: "checkout", sev: sevError, trace: trace, span: g.spanID(), body: b.String(),
		attrs: []attr{
			{"user.id", user}, {"order.id", order}, {"http.route", "/api/checkout"},
			{"exception.type", "TypeError"}, {"promotion.code", g.topo.incident.promoCode},
		}}
}

// promoErrorText is in the body of every promotion error, and only there.
const promoErrorText = "TypeError: Cannot read properties of undefined (reading 'percentOff')"

// Incident is the story the data set tells, with this data set's times,
// so that tests and examples need not hard-code offsets or ids.
type Incident struct {
	Service         string    // "checkout"
	Version         string    // the bad release, resource attribute service.version: "2.14.0"
	PreviousVersion string    // what ran before the deploy and after the rollback: "2.13.2"
	DeployAt        time.Time // the deploy of Version starts: Now()-2h10m
	SpikeStart      time.Time // the promotion starts and its errors begin: Now()-2h
	SpikeEnd        time.Time // the rollback starts and the errors stop: Now()-1h45m
	PromoCode       string    // "BLACKFRIDAY25"
	ErrorText       string    // in the body of every promotion error and of no other line

	// One failed checkout of the spike, for following a trace.
	TraceID       string    // 32 hex digits
	TraceServices []string  // the services on the trace, in order of first line
	ErrorUUID     string    // the trace's promotion error line
	ErrorAt       time.Time // that line's timestamp
}

// Incident describes the data set's incident and one trace through it.
func (s *Sandbox) Incident() Incident {
	inc := s.data.topo.incident
	out := Incident{
		Service: "checkout", Version: checkoutNewVersion, PreviousVersion: checkoutOldVersion,
		DeployAt:   time.UnixMicro(inc.deployAt).UTC(),
		SpikeStart: time.UnixMicro(inc.spikeStart).UTC(),
		SpikeEnd:   time.UnixMicro(inc.spikeEnd).UTC(),
		PromoCode:  inc.promoCode,
		ErrorText:  promoErrorText,
	}
	spike := logFilter{window: window{from: inc.spikeStart, to: inc.spikeEnd}}
	rows := s.data.base
	for _, r := range spike.span(rows) {
		if !r.hasTrace() || !strings.Contains(r.body, promoErrorText) {
			continue
		}
		services := traceServices(rows, &r)
		if len(services) < 4 {
			continue
		}
		out.TraceID = hex.EncodeToString(r.traceID[:])
		out.TraceServices = services
		out.ErrorUUID = formatUUID(r.uuid)
		out.ErrorAt = time.UnixMicro(r.micros).UTC()
		break
	}
	return out
}

// traceServices lists the services of r's trace, whose lines are all
// within a few seconds of r.
func traceServices(rows []logRow, r *logRow) []string {
	near := logFilter{window: window{from: r.micros - ms(5_000), to: r.micros + ms(5_000)}}
	var services []string
	for _, other := range near.span(rows) {
		if other.traceID == r.traceID && !slices.Contains(services, other.res.service) {
			services = append(services, other.res.service)
		}
	}
	return services
}
