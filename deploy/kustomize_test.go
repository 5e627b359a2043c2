package deploy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// object is the part of a rendered Kubernetes object the checks read.
type object struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec json.RawMessage `json:"spec"`
}

type selector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type probe struct {
	HTTPGet *struct {
		Path string `json:"path"`
		Port any    `json:"port"`
	} `json:"httpGet"`
}

type container struct {
	Name    string   `json:"name"`
	Image   string   `json:"image"`
	Args    []string `json:"args"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `json:"name"`
		} `json:"configMapRef"`
	} `json:"envFrom"`
	Env []struct {
		Name      string `json:"name"`
		Value     string `json:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `json:"fieldPath"`
			} `json:"fieldRef"`
		} `json:"valueFrom"`
	} `json:"env"`
	Ports []struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
	} `json:"ports"`
	ReadinessProbe *probe `json:"readinessProbe"`
	LivenessProbe  *probe `json:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `json:"requests"`
		Limits   map[string]string `json:"limits"`
	} `json:"resources"`
	SecurityContext *struct {
		AllowPrivilegeEscalation *bool `json:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `json:"readOnlyRootFilesystem"`
		Capabilities             *struct {
			Drop []string `json:"drop"`
		} `json:"capabilities"`
	} `json:"securityContext"`
}

type deploymentSpec struct {
	Replicas int      `json:"replicas"`
	Selector selector `json:"selector"`
	Template struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			AutomountServiceAccountToken  *bool `json:"automountServiceAccountToken"`
			TerminationGracePeriodSeconds int   `json:"terminationGracePeriodSeconds"`
			SecurityContext               struct {
				RunAsNonRoot *bool `json:"runAsNonRoot"`
				RunAsUser    int   `json:"runAsUser"`
			} `json:"securityContext"`
			Containers []container `json:"containers"`
		} `json:"spec"`
	} `json:"template"`
}

// render runs kustomize on deploy/kubernetes and returns the objects by kind.
func render(t *testing.T) map[string][]object {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resources, err := k.Run(filesys.MakeFsOnDisk(), "kubernetes")
	if err != nil {
		t.Fatalf("kustomize build deploy/kubernetes: %v", err)
	}
	out := map[string][]object{}
	for _, r := range resources.Resources() {
		raw, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var o object
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		out[o.Kind] = append(out[o.Kind], o)
	}
	return out
}

// one returns the single object of kind, decoding its spec into spec.
func one(t *testing.T, objs map[string][]object, kind string, spec any) object {
	t.Helper()
	if len(objs[kind]) != 1 {
		t.Fatalf("want one %s, got %d", kind, len(objs[kind]))
	}
	o := objs[kind][0]
	if spec != nil {
		if err := json.Unmarshal(o.Spec, spec); err != nil {
			t.Fatalf("%s spec: %v", kind, err)
		}
	}
	return o
}

// selects reports whether a selector picks pods labelled labels.
func selects(sel map[string]string, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestRenderedObjects(t *testing.T) {
	objs := render(t)
	var kinds []string
	for kind, list := range objs {
		kinds = append(kinds, kind)
		for _, o := range list {
			if kind != "Namespace" && o.Metadata.Namespace != "posthog-logs-mcp" {
				t.Errorf("%s %s in namespace %q", kind, o.Metadata.Name, o.Metadata.Namespace)
			}
		}
	}
	slices.Sort(kinds)
	want := []string{"ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Namespace", "NetworkPolicy", "PodDisruptionBudget", "Service"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}

	var d deploymentSpec
	dep := one(t, objs, "Deployment", &d)
	pods := d.Template.Metadata.Labels
	if d.Replicas != 2 || !selects(d.Selector.MatchLabels, pods) {
		t.Errorf("replicas %d, selector %v for pods %v", d.Replicas, d.Selector.MatchLabels, pods)
	}
	if len(d.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(d.Template.Spec.Containers))
	}
	c := d.Template.Spec.Containers[0]
	if !strings.Contains(c.Image, "/") || !strings.Contains(c.Image, ":") {
		t.Errorf("image %q: kustomization.yaml's images: should set a registry and tag", c.Image)
	}
	for name, p := range map[string]*probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port != "http" {
			t.Errorf("%s probe: want GET /healthz on the http port: %+v", name, p)
			continue
		}
	}
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" || c.Resources.Limits[r] == "" {
			t.Errorf("%s: want a request and a limit: %+v", r, c.Resources)
		}
	}
	pod := d.Template.Spec
	if pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot || pod.SecurityContext.RunAsUser == 0 {
		t.Errorf("pod security context: %+v", pod.SecurityContext)
	}
	if user := dockerfileUser(t); fmt.Sprint(pod.SecurityContext.RunAsUser) != user {
		t.Errorf("runAsUser %d, the image's USER %s", pod.SecurityContext.RunAsUser, user)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the server does not talk to the Kubernetes API: do not mount a token")
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil ||
		*sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("container security context: %+v", sc)
	}
	grace, err := time.ParseDuration(argValue(c.Args, "--shutdown-grace"))
	if err != nil || time.Duration(pod.TerminationGracePeriodSeconds)*time.Second <= grace {
		t.Errorf("terminationGracePeriodSeconds %d must exceed --shutdown-grace (%v), or the kubelet kills calls the server would answer",
			pod.TerminationGracePeriodSeconds, argValue(c.Args, "--shutdown-grace"))
	}
	// The kubelet's probes and Prometheus address the pod by its IP.
	podIP := false
	for _, e := range c.Env {
		podIP = podIP || e.Name == "POD_IP" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "status.podIP"
	}
	if !podIP || !strings.HasSuffix(argValue(c.Args, "--allowed-hosts"), ",$(POD_IP)") {
		t.Errorf("--allowed-hosts must end with $(POD_IP), set from status.podIP: %v", c.Args)
	}
	for _, e := range c.Env {
		if e.Name == "POSTHOG_PERSONAL_API_KEY" {
			t.Error("no server key: listening beyond loopback, the server requires every caller to bring its own")
		}
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != objs["ConfigMap"][0].Metadata.Name {
		t.Errorf("envFrom %+v does not name the generated ConfigMap %s", c.EnvFrom, objs["ConfigMap"][0].Metadata.Name)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || !slices.Contains(c.Args, fmt.Sprintf("--listen=0.0.0.0:%d", c.Ports[0].ContainerPort)) {
		t.Errorf("ports %+v do not match the args %v", c.Ports, c.Args)
	}

	var svc struct {
		Selector map[string]string `json:"selector"`
		Ports    []struct {
			TargetPort any `json:"targetPort"`
		} `json:"ports"`
	}
	service := one(t, objs, "Service", &svc)
	if !selects(svc.Selector, pods) || len(svc.Ports) != 1 || svc.Ports[0].TargetPort != "http" {
		t.Errorf("service selector %v ports %+v", svc.Selector, svc.Ports)
	}
	// Clients reach the Service by its DNS names: the server must accept them as Host.
	for _, name := range []string{service.Metadata.Name, service.Metadata.Name + "." + service.Metadata.Namespace + ".svc"} {
		if !strings.Contains(argValue(c.Args, "--allowed-hosts"), name) {
			t.Errorf("--allowed-hosts lacks %s: %v", name, c.Args)
		}
	}

	var hpa struct {
		ScaleTargetRef struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicas int `json:"minReplicas"`
		MaxReplicas int `json:"maxReplicas"`
		Metrics     []struct {
			Resource struct {
				Name string `json:"name"`
			} `json:"resource"`
		} `json:"metrics"`
	}
	one(t, objs, "HorizontalPodAutoscaler", &hpa)
	if hpa.ScaleTargetRef.Kind != "Deployment" || hpa.ScaleTargetRef.Name != dep.Metadata.Name || hpa.MinReplicas != d.Replicas ||
		hpa.MaxReplicas <= hpa.MinReplicas || len(hpa.Metrics) != 1 || hpa.Metrics[0].Resource.Name != "cpu" {
		t.Errorf("hpa %+v", hpa)
	}

	var pdb struct {
		MinAvailable int      `json:"minAvailable"`
		Selector     selector `json:"selector"`
	}
	one(t, objs, "PodDisruptionBudget", &pdb)
	if !selects(pdb.Selector.MatchLabels, pods) || pdb.MinAvailable < 1 || pdb.MinAvailable >= d.Replicas {
		t.Errorf("pdb %+v", pdb)
	}
}

type port struct {
	Protocol string `json:"protocol"`
	Port     int    `json:"port"`
}

type peer struct {
	NamespaceSelector *selector `json:"namespaceSelector"`
	PodSelector       *selector `json:"podSelector"`
	IPBlock           *struct {
		CIDR   string   `json:"cidr"`
		Except []string `json:"except"`
	} `json:"ipBlock"`
}

// TestNetworkPolicy: in, the MCP port only; out, DNS to kube-dns and HTTPS
// (PostHog) to public addresses only.
func TestNetworkPolicy(t *testing.T) {
	objs := render(t)
	var d deploymentSpec
	one(t, objs, "Deployment", &d)
	var np struct {
		PodSelector selector `json:"podSelector"`
		PolicyTypes []string `json:"policyTypes"`
		Ingress     []struct {
			Ports []port `json:"ports"`
		} `json:"ingress"`
		Egress []struct {
			To    []peer `json:"to"`
			Ports []port `json:"ports"`
		} `json:"egress"`
	}
	one(t, objs, "NetworkPolicy", &np)
	if !selects(np.PodSelector.MatchLabels, d.Template.Metadata.Labels) {
		t.Errorf("podSelector %v does not pick the pods", np.PodSelector)
	}
	if types := slices.Sorted(slices.Values(np.PolicyTypes)); !slices.Equal(types, []string{"Egress", "Ingress"}) {
		t.Errorf("policyTypes %v", np.PolicyTypes)
	}
	if len(np.Ingress) != 1 || !slices.Equal(np.Ingress[0].Ports, []port{{"TCP", 8080}}) {
		t.Errorf("ingress %+v: want TCP 8080 only", np.Ingress)
	}
	if len(np.Egress) != 2 {
		t.Fatalf("egress %+v: want DNS and HTTPS", np.Egress)
	}
	dns, https := np.Egress[0], np.Egress[1]
	if !slices.Equal(dns.Ports, []port{{"UDP", 53}, {"TCP", 53}}) || len(dns.To) != 1 || dns.To[0].PodSelector == nil ||
		!maps(dns.To[0].PodSelector.MatchLabels, map[string]string{"k8s-app": "kube-dns"}) || dns.To[0].NamespaceSelector == nil ||
		!maps(dns.To[0].NamespaceSelector.MatchLabels, map[string]string{"kubernetes.io/metadata.name": "kube-system"}) {
		t.Errorf("DNS egress %+v: want port 53 to kube-dns in kube-system only", dns)
	}
	if !slices.Equal(https.Ports, []port{{"TCP", 443}}) || len(https.To) != 1 || https.To[0].IPBlock == nil {
		t.Fatalf("HTTPS egress %+v: want TCP 443 to an ipBlock", https)
	}
	for _, private := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} {
		if !slices.Contains(https.To[0].IPBlock.Except, private) {
			t.Errorf("HTTPS egress reaches %s (cluster and cloud metadata addresses): %+v", private, https.To[0].IPBlock)
		}
	}
}

func maps(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func argValue(args []string, flag string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

// dockerfileUser is the USER of the image the Deployment runs.
func dockerfileUser(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	user := ""
	for _, line := range strings.Split(string(raw), "\n") {
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), "USER "); ok {
			user, _, _ = strings.Cut(strings.TrimSpace(u), ":")
		}
	}
	return user
}

// TestContainerArgsServe runs the server with the Deployment's arguments and
// environment (on a loopback port instead of 0.0.0.0:8080), and sends what
// the kubelet's probes and the Service's clients send.
func TestContainerArgsServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server")
	}
	objs := render(t)
	var d deploymentSpec
	one(t, objs, "Deployment", &d)
	c := d.Template.Spec.Containers[0]
	var cm struct {
		Data map[string]string `json:"data"`
	}
	raw, _ := json.Marshal(objs["ConfigMap"][0])
	_ = json.Unmarshal(raw, &cm)

	dir := t.TempDir()
	bin := filepath.Join(dir, "posthog-logs-mcp")
	build := exec.Command("go", "build", "-o", bin, "./cmd/posthog-logs-mcp")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the server: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// As the kubelet does: $(VAR) in args expands to the container's env,
	// here with the pod IP the kubelet would set.
	const podIP = "10.1.2.3"
	env := map[string]string{}
	for k, v := range cm.Data {
		env[k] = v
	}
	for _, e := range c.Env {
		env[e.Name] = e.Value
		if e.ValueFrom != nil {
			env[e.Name] = podIP
		}
	}
	var args []string
	for _, a := range c.Args {
		for k, v := range env {
			a = strings.ReplaceAll(a, "$("+k+")", v)
		}
		args = append(args, a)
	}
	cmd := exec.CommandContext(ctx, bin, append(args, "--listen=127.0.0.1:0")...)
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var url string
	scanner := bufio.NewScanner(stderr)
	for url == "" && scanner.Scan() {
		var entry map[string]any
		if json.Unmarshal(scanner.Bytes(), &entry) == nil {
			url, _ = entry["url"].(string)
		}
	}
	if url == "" {
		t.Fatal("the server did not start with the Deployment's arguments")
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	base := strings.TrimSuffix(url, "/mcp")

	get := func(host string) int {
		req, _ := http.NewRequest(http.MethodGet, base+"/healthz", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	serviceHost := objs["Service"][0].Metadata.Name + "." + objs["Service"][0].Metadata.Namespace + ".svc"
	for host, want := range map[string]int{
		podIP + ":8080":       200, // the kubelet's probes, Prometheus
		serviceHost:           200, // clients in the cluster
		serviceHost + ":80":   200,
		"10.9.9.9:8080":       403, // another pod's address
		"evil.example":        403, // DNS rebinding
		"posthog-logs-mcp.ev": 403,
	} {
		if got := get(host); got != want {
			t.Errorf("GET /healthz with Host %s: %d, want %d", host, got, want)
		}
	}
}
