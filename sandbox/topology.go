package sandbox

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
)

// serviceSpec describes one generated service and the pods it runs on.
type serviceSpec struct {
	name      string
	namespace string
	version   string
	pods      int
	scope     string // instrumentation scope of its lines
}

var serviceSpecs = []serviceSpec{
	{"api-gateway", "edge", "1.8.3", 3, "envoy.access_log"},
	{"checkout", "shop", checkoutOldVersion, 3, "checkout.orders"},
	{"payments", "shop", "4.2.0", 2, "com.acme.payments"},
	{"auth", "identity", "3.1.7", 2, "auth.sessions"},
	{"inventory", "shop", "1.22.4", 2, "inventory.catalog"},
	{"notifications", "messaging", "0.9.12", 2, "notifications.mailer"},
	{"search", "shop", "2.3.1", 2, "search.api"},
	{"recommendations", "ml", "7.0.2", 1, "recommendations.model"},
}

const (
	checkoutOldVersion = "2.13.2"
	checkoutNewVersion = "2.14.0"
	// cronPodName runs a batch job that forgot to set service.name, which is
	// how PostHog's "(no service)" bucket shows up in real projects.
	cronPodName = "nightly-report-29384710-x7k2p"
)

// topology holds every pod's resource. Checkout runs on three generations
// of pods: before its deploy, the bad release, and the rollback.
type topology struct {
	pods          map[string][]*resource
	checkoutNew   []*resource
	checkoutAfter []*resource
	cron          *resource
	incident      incident
}

func newTopology(g *generator, inc incident) *topology {
	t := &topology{pods: map[string][]*resource{}, incident: inc}
	for _, spec := range serviceSpecs {
		rs := g.k8sSuffix(10)
		t.pods[spec.name] = g.podGeneration(spec, rs, spec.version)
		if spec.name == "checkout" {
			t.checkoutNew = g.podGeneration(spec, g.k8sSuffix(10), checkoutNewVersion)
			// Kubernetes reuses the old ReplicaSet on rollback: same hash, new pods.
			t.checkoutAfter = g.podGeneration(spec, rs, spec.version)
		}
	}
	t.cron = newResource("", "batch", cronPodName, g.hostName(), "", "report.job")
	return t
}

// pod picks a pod of service running at the given time. The lines of one
// request (one trace) all come from the same pod of each service.
func (t *topology) pod(g *generator, service string, at int64, trace [16]byte) *resource {
	pods := t.pods[service]
	if service == "checkout" {
		switch {
		case at >= t.incident.rollbackAt:
			pods = t.checkoutAfter
		case at >= t.incident.deployAt:
			pods = t.checkoutNew
		}
	}
	if trace != ([16]byte{}) {
		return pods[binary.BigEndian.Uint64(trace[8:])%uint64(len(pods))]
	}
	return pods[g.intn(len(pods))]
}

func (g *generator) podGeneration(spec serviceSpec, replicaSet, version string) []*resource {
	pods := make([]*resource, spec.pods)
	for i := range pods {
		name := spec.name + "-" + replicaSet + "-" + g.k8sSuffix(5)
		pods[i] = newResource(spec.name, spec.namespace, name, g.hostName(), version, spec.scope)
	}
	return pods
}

func (g *generator) hostName() string {
	return fmt.Sprintf("ip-10-0-%d-%d.ec2.internal", 1+g.intn(6), 10+g.intn(240))
}

// k8sSuffix makes a random name part from Kubernetes' alphabet (no vowels).
func (g *generator) k8sSuffix(n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.intn(len(alphabet))]
	}
	return string(b)
}

func newResource(service, namespace, pod, host, version, scope string) *resource {
	attrs := []attr{
		{"deployment.environment", "production"},
		{"host.name", host},
		{"k8s.namespace.name", namespace},
		{"k8s.pod.name", pod},
	}
	if service != "" {
		attrs = append(attrs, attr{"service.name", service}, attr{"service.version", version})
	}
	slices.SortFunc(attrs, func(a, b attr) int {
		if a.key < b.key {
			return -1
		}
		if a.key > b.key {
			return 1
		}
		return 0
	})
	h := fnv.New64a()
	for _, a := range attrs {
		h.Write([]byte(a.key))
		h.Write([]byte{0})
		h.Write([]byte(a.value))
		h.Write([]byte{0})
	}
	return &resource{
		service:     service,
		scope:       scope,
		attrs:       attrs,
		json:        appendAttrsJSON(nil, attrs),
		fingerprint: strconv.FormatUint(h.Sum64(), 10),
	}
}
