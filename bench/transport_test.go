package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPageTransportAndHandler(t *testing.T) {
	page := []byte(`{"results":[]}`)
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	srv := httptest.NewServer(PageHandler(page, fallback))
	defer srv.Close()
	cases := []struct {
		name       string
		method     string
		path       string
		wantStatus int // through PageTransport
		wantServed int // through PageHandler
	}{
		{"query under projects", http.MethodPost, "/api/projects/1/logs/query/", 200, 200},
		{"query under environments", http.MethodPost, "/api/environments/1/logs/query/", 200, 200},
		{"another endpoint", http.MethodPost, "/api/projects/1/logs/services/", 404, http.StatusTeapot},
		{"introspection", http.MethodGet, "/api/personal_api_keys/@current/", 404, http.StatusTeapot},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "http://127.0.0.1"+tc.path, strings.NewReader(`{"query":{}}`))
			res, err := PageTransport{Body: page}.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.wantStatus {
				t.Errorf("PageTransport: status %d, want %d", res.StatusCode, tc.wantStatus)
			}
			if tc.wantStatus == 200 && string(body) != string(page) {
				t.Errorf("PageTransport: body %q, want the page", body)
			}

			hreq, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(`{"query":{}}`))
			hres, err := http.DefaultClient.Do(hreq)
			if err != nil {
				t.Fatal(err)
			}
			hbody, _ := io.ReadAll(hres.Body)
			_ = hres.Body.Close()
			if hres.StatusCode != tc.wantServed {
				t.Errorf("PageHandler: status %d, want %d", hres.StatusCode, tc.wantServed)
			}
			if tc.wantServed == 200 && string(hbody) != string(page) {
				t.Errorf("PageHandler: body %q, want the page", hbody)
			}
		})
	}
}
