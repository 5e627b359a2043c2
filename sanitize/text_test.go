package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"
)

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"clean ASCII", "GET /api/checkout 200 in 12ms", "GET /api/checkout 200 in 12ms"},
		{"newline and tab kept", "line1\n\tline2", "line1\n\tline2"},
		{"carriage return removed", "a\r\nb", "a\nb"},
		{"C0 and DEL removed", "a\x00b\x07c\x08d\x7fe", "abcde"},
		{"SGR colours", "\x1b[31mERROR\x1b[0m boom", "ERROR boom"},
		{"CSI with private params", "x\x1b[?25ly", "xy"},
		{"cursor movement", "ok\x1b[2K\x1b[1Afake", "okfake"},
		{"OSC title with BEL", "\x1b]0;pwned\x07after", "after"},
		{"OSC 8 hyperlink with ST", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"OSC ended by C1 ST", "\x1b]0;t\u009cafter", "after"},
		{"unterminated OSC stops at newline", "\x1b]0;title\nnext line", "\nnext line"},
		{"DCS string", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"},
		{"two-byte escape", "a\x1bcb\x1b7c", "abc"},
		{"charset designation", "a\x1b(Bb", "ab"},
		{"lone ESC at end", "abc\x1b", "abc"},
		{"ESC before newline", "a\x1b\nb", "a\nb"},
		{"ESC before non-ASCII", "a\x1bé", "aé"},
		{"unterminated CSI", "a\x1b[12", "a"},
		{"C1 controls", "a\u0085b\u009bc", "abc"},
		{"bidi overrides (Trojan Source)", "admin\u202e\u2066 // check\u2069\u202c", "admin // check"},
		{"LRM RLM ALM", "a\u200eb\u200fc\u061cd", "abcd"},
		{"zero-width and invisible", "pa\u200bss\u200cw\u200do\u2060r\ufeffd\u00ad", "password"},
		{"tag characters", "hi\U000E0041\U000E007F!", "hi!"},
		{"invalid UTF-8 run becomes one U+FFFD", "bad\xff\xfe end", "bad\uFFFD end"},
		{"truncated rune", "cut\xe2\x82", "cut\uFFFD"},
		{"separate invalid bytes", "a\xffb\xffc", "a\uFFFDb\uFFFDc"},
		{"clean non-ASCII kept", "café 日本 😀 Ünïcödé", "café 日本 😀 Ünïcödé"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Text(tt.in)
			if got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
			checkSafeText(t, tt.in, got)
			if again := Text(got); again != got {
				t.Errorf("Text not idempotent: %q → %q", got, again)
			}
		})
	}
}

// The common case must cost nothing: the very same string comes back, without allocating.
func TestTextCleanReturnsInputWithoutAllocating(t *testing.T) {
	for _, s := range []string{realisticBody, "café 日本 😀", ""} {
		if got := Text(s); unsafe.StringData(got) != unsafe.StringData(s) || len(got) != len(s) {
			t.Fatalf("Text(%q) = %q, want the input itself", s, got)
		}
		if allocs := testing.AllocsPerRun(100, func() { _ = Text(s) }); allocs != 0 {
			t.Errorf("Text(%q) allocates %v times, want 0", s, allocs)
		}
	}
}

// checkSafeText asserts the guarantees of Text on its output.
func checkSafeText(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Text(%q) = %q: invalid UTF-8", in, out)
	}
	for _, r := range out {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f:
			t.Fatalf("Text(%q) = %q: control %U survived", in, out, r)
		case isHiddenRune(r):
			t.Fatalf("Text(%q) = %q: hidden rune %U survived", in, out, r)
		}
	}
	if strings.IndexByte(out, esc) >= 0 {
		t.Fatalf("Text(%q) = %q: ESC survived", in, out)
	}
}
