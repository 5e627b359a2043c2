package sandbox

import (
	"fmt"
	"strings"
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
		g.emit(g.promoFailure(at, trace, user, order, false))
	case n < 70:
		g.emit(g.promoFailure(at, trace, user, order, true))
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

// promoFailure is the bug v2.14.0 shipped: discounts without percentOff crash.
func (g *generator) promoFailure(at int64, trace [16]byte, user, order string, fullStack bool) line {
	var b strings.Builder
	fmt.Fprintf(&b, "failed to apply promotion %s to order %s: TypeError: Cannot read properties of undefined (reading 'percentOff')\n", g.topo.incident.promoCode, order)
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
