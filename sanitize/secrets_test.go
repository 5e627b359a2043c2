package sanitize

import (
	"strings"
	"testing"
	"unsafe"
)

func TestSecretsMasks(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bearer header", "Authorization: Bearer abc123def456ghi789", "Authorization: Bearer [REDACTED]"},
		{"bearer lower case", "authorization=bearer abcdefghijklmnopqrstu", "authorization=bearer [REDACTED]"},
		{"bearer padding", "Bearer dGVzdDEyMzQ1Ng==, next", "Bearer [REDACTED], next"},
		{"bearer jwt", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "Bearer [REDACTED]"},
		{"jwt", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c done", "token [REDACTED:jwt] done"},
		{"jwt without signature", "t=x eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. end", "t=x [REDACTED:jwt] end"},
		{"posthog personal key", "key phx_abcdefghijklmnopqrstuvwxyz0123 ok", "key phx_[REDACTED] ok"},
		{"posthog project key", `"token":"x" phc_AbCdEfGhIjKlMnOpQrStUv_123`, `"token":"[REDACTED]" phc_[REDACTED]`},
		{"posthog pha and phs", "pha_aaaaaaaaaaaaaaaaaaaa,phs_bbbbbbbbbbbbbbbbbbbb", "pha_[REDACTED],phs_[REDACTED]"},
		{"stripe live", "stripe sk_live_51Habcdefghij0123456789", "stripe sk_live_[REDACTED]"},
		{"stripe test and restricted", "sk_test_abcdefghij rk_live_abcdefghij1", "sk_test_[REDACTED] rk_live_[REDACTED]"},
		{"aws access key", "id=AKIAIOSFODNN7EXAMPLE.", "id=AKIA[REDACTED]."},
		{"aws temporary key", "ASIAY34FZKBOKMUTVV7A", "ASIA[REDACTED]"},
		{"github classic", "ghp_abcdefghijklmnopqrstuvwxyz0123456789 gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
			"ghp_[REDACTED] gho_[REDACTED]"},
		{"github app tokens", "ghu_abcdefghijklmnopqrstuvwxyz0123456789;ghs_abcdefghijklmnopqrstuvwxyz0123456789;ghr_abcdefghijklmnopqrstuvwxyz0123456789",
			"ghu_[REDACTED];ghs_[REDACTED];ghr_[REDACTED]"},
		{"github fine-grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_[REDACTED]"},
		{"url password", "dial postgres://admin:s3cr3t@db.internal:5432/app failed", "dial postgres://admin:[REDACTED]@db.internal:5432/app failed"},
		{"url password with @", "redis://:p@ss@cache:6379", "redis://:[REDACTED]@cache:6379"},
		{"url token as user", "git fetch https://glpat-AbCd3fGh1jKlMn0pQrSt@gitlab.com/x.git", "git fetch https://[REDACTED]@gitlab.com/x.git"},
		{"url github token as user", "https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/c.git", "https://ghp_[REDACTED]@github.com/acme/c.git"},
		{"url password quoted", `"amqp://guest:guest@rabbit/"`, `"amqp://guest:[REDACTED]@rabbit/"`},
		{"key=value", "login failed password=hunter2 user=bob", "login failed password=[REDACTED] user=bob"},
		{"key=value variants", "passwd=a secret=b api_key=c", "passwd=[REDACTED] secret=[REDACTED] api_key=[REDACTED]"},
		{"key=value suffixes", "DB_PASSWORD=x client-secret=y X-Api-Key=z aws_secret_access_key=w access_token=v",
			"DB_PASSWORD=[REDACTED] client-secret=[REDACTED] X-Api-Key=[REDACTED] aws_secret_access_key=[REDACTED] access_token=[REDACTED]"},
		{"query string", "GET /cb?code=1&api_key=abc123&x=1", "GET /cb?code=1&api_key=[REDACTED]&x=1"},
		{"quoted value", `password="correct horse" ok`, `password="[REDACTED]" ok`},
		{"single quoted value", "secret='a b' ok", "secret='[REDACTED]' ok"},
		{"value with auth scheme", "token=Bearer abcdefgh123 next", "token=[REDACTED] next"},
		{"unterminated quoted value", `password="hunter2`, `password="[REDACTED]`},
		{"json member", `{"user":"bob","password":"hun\"ter2","n":1}`, `{"user":"bob","password":"[REDACTED]","n":1}`},
		{"json member spaced", `{"apiKey": "abc"}`, `{"apiKey": "[REDACTED]"}`},
		{"escaped json", `{\"client_secret\":\"abc\"}`, `{\"client_secret\":\"[REDACTED]\"}`},
		{"python repr", `{'password': 'p4ss'}`, `{'password': '[REDACTED]'}`},
		{"several shapes", "Bearer abcd1234efgh AKIAIOSFODNN7EXAMPLE password=x",
			"Bearer [REDACTED] AKIA[REDACTED] password=[REDACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Secrets(tt.in)
			if got != tt.want {
				t.Errorf("Secrets(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := Secrets(got); again != got {
				t.Errorf("Secrets not idempotent: %q → %q", got, again)
			}
		})
	}
}

func TestSecretsLeavesOrdinaryText(t *testing.T) {
	for _, in := range []string{
		"photo uploaded by phil",
		"phx_ alone, phx_short, phc_abc",
		"graphx_abcdefghijklmnopqrstuvwxyz",
		"sk_live_short sk_other_abcdefghijklmnop task_live_abcdefghijklmno",
		"AKIAIOSFODNN7EXAMPL too short, AKIAIOSFODNN7EXAMPLE1 too long, xAKIAIOSFODNN7EXAMPLE glued, AKIAiosfodnn7example lower",
		"ghp_short gh_abcdefghijklmnopqrstuvwxyz0123456789 ghx_abcdefghijklmnopqrstuvwxyz0123456789",
		"github_pat_short",
		"https://example.com/path?q=1 http://user@host/ ftp://host:21/x mailto:a@b.c ssh://git@github.com:acme/x.git",
		"smtp://notifications.service.account@mail.example.com",
		"https://example.com/a:b@c",
		"http://[::1]:8080/health",
		"Bearer token missing; bearer auth failed; Bearerabcdefgh123",
		"eyJhbGciOiJIUzI1NiJ9 alone, eyJa.notjwt",
		"user_id=42 status=200 duration_ms=12 path=/api/pay method=POST",
		"tokens=500 max_tokens=4096 token_count=3 password_reset_sent=true",
		"password= empty; password=",
		`{"password": null, "token": 123}`,
		"a:b c=d e_f",
		"",
	} {
		if got := Secrets(in); got != in {
			t.Errorf("Secrets(%q) = %q, want it unchanged", in, got)
		}
	}
}

func TestSecretsCleanReturnsInputWithoutAllocating(t *testing.T) {
	for _, s := range []string{realisticBody, realisticAttribute} {
		if got := Secrets(s); unsafe.StringData(got) != unsafe.StringData(s) || len(got) != len(s) {
			t.Fatalf("Secrets(%q) = %q, want the input itself", s, got)
		}
		if allocs := testing.AllocsPerRun(100, func() { _ = Secrets(s) }); allocs != 0 {
			t.Errorf("Secrets(%q) allocates %v times, want 0", s, allocs)
		}
	}
}

func TestSanitizer(t *testing.T) {
	dirty := "\x1b[31mAuth\x1b[0m Bearer abc123def456 AK\x1b[0mIAIOSFODNN7EXAMPLE \u202epassword=x"
	tests := []struct {
		redact bool
		want   string
	}{
		{true, "Auth Bearer [REDACTED] AKIA[REDACTED] password=[REDACTED]"},
		{false, "Auth Bearer abc123def456 AKIAIOSFODNN7EXAMPLE password=x"},
	}
	for _, tt := range tests {
		if got := (Sanitizer{Redact: tt.redact}).String(dirty); got != tt.want {
			t.Errorf("Sanitizer{Redact: %v}.String() = %q, want %q", tt.redact, got, tt.want)
		}
	}
	for _, z := range []Sanitizer{{Redact: true}, {Redact: false}} {
		if allocs := testing.AllocsPerRun(100, func() { _ = z.String(realisticBody) }); allocs != 0 {
			t.Errorf("%+v.String(clean) allocates %v times, want 0", z, allocs)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in      string
		max     int
		want    string
		wantCut int
	}{
		{"hello", 0, "hello", 0},
		{"hello", -1, "hello", 0},
		{"hello", 5, "hello", 0},
		{"hello", 10, "hello", 0},
		{"hello world", 5, "hello", 6},
		{"日本語テキスト", 3, "日本語", 4},
		{"😀😀😀", 1, "😀", 2},
		{"ab\xffcd", 3, "ab\xff", 2},
		{"", 3, "", 0},
		{strings.Repeat("é", 10), 10, strings.Repeat("é", 10), 0},
	}
	for _, tt := range tests {
		got, cut := Truncate(tt.in, tt.max)
		if got != tt.want || cut != tt.wantCut {
			t.Errorf("Truncate(%q, %d) = %q, %d; want %q, %d", tt.in, tt.max, got, cut, tt.want, tt.wantCut)
		}
	}
}

func TestAttribute(t *testing.T) {
	z := Sanitizer{Redact: true}
	tests := []struct{ key, value, wantKey, wantValue string }{
		{"db.password", "hunter2", "db.password", "[REDACTED]"},
		{"http.request.header.x-api-key", "abc123", "http.request.header.x-api-key", "[REDACTED]"},
		{"http.request.header.authorization", "Basic dXNlcjpwYXNz", "http.request.header.authorization", "[REDACTED]"},
		{"http.request.header.cookie", "session=abc", "http.request.header.cookie", "[REDACTED]"},
		{"auth.token", "t0k3n", "auth.token", "[REDACTED]"},
		{"user.id", "u_123", "user.id", "u_123"},
		{"token_count", "12", "token_count", "12"},
		{"note", "key AKIAABCDEFGHIJKLMNOP", "note", "key AKIA[REDACTED]"},
		{"bad\x1b[31mkey", "v\u202e", "badkey", "v"},
		{"db.password", "", "db.password", ""},
	}
	for _, tc := range tests {
		k, v := z.Attribute(tc.key, tc.value)
		if k != tc.wantKey || v != tc.wantValue {
			t.Errorf("Attribute(%q, %q) = %q, %q; want %q, %q", tc.key, tc.value, k, v, tc.wantKey, tc.wantValue)
		}
	}
	if k, v := (Sanitizer{}).Attribute("db.password", "hunter2"); k != "db.password" || v != "hunter2" {
		t.Errorf("--no-redact must keep the value: %q %q", k, v)
	}
}
