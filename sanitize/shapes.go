package sanitize

import "strings"

// Minimum lengths below which a prefix is just a word ("phx_" alone, "sk_live_x"): real keys are
// much longer, and short ones are not worth the false positives.
const (
	minPostHogKeyBody = 20
	minStripeKeyBody  = 10
	minGitHubBody     = 36
	minGitHubPATBody  = 22
	awsKeyBody        = 16
)

// maskUnderscoreKey recognises the prefixed keys whose first "_" is at i: PostHog
// (phx_ phc_ pha_ phs_), Stripe (sk_live_ sk_test_ rk_live_ rk_test_), GitHub (ghp_ gho_ ghu_ ghs_
// ghr_, github_pat_). The prefix is kept; the rest is masked.
func maskUnderscoreKey(s string, i, floor int) (mask, bool) {
	before := s[floor:i]
	switch {
	case hasPrefixAt(before, "ph", 3) && strings.IndexByte("xcas", before[len(before)-1]) >= 0:
		return maskBody(s, i-3, i+1, floor, minPostHogKeyBody, isWordByte)
	case (hasPrefixAt(before, "sk", 2) || hasPrefixAt(before, "rk", 2)) &&
		(strings.HasPrefix(s[i+1:], "live_") || strings.HasPrefix(s[i+1:], "test_")):
		return maskBody(s, i-2, i+6, floor, minStripeKeyBody, isAlnum)
	case hasPrefixAt(before, "gh", 3) && strings.IndexByte("pousr", before[len(before)-1]) >= 0:
		return maskBody(s, i-3, i+1, floor, minGitHubBody, isAlnum)
	case hasPrefixAt(before, "github", 6) && strings.HasPrefix(s[i+1:], "pat_"):
		return maskBody(s, i-6, i+5, floor, minGitHubPATBody, isWordByte)
	}
	return mask{}, false
}

// hasPrefixAt reports whether the last n bytes of before start with prefix.
func hasPrefixAt(before, prefix string, n int) bool {
	return len(before) >= n && strings.HasPrefix(before[len(before)-n:], prefix)
}

// maskBody masks the run of ok bytes starting at body when the shape starts on a word boundary
// at start and the run has at least minLen bytes.
func maskBody(s string, start, body, floor, minLen int, ok func(byte) bool) (mask, bool) {
	if !boundaryBefore(s, start, floor) {
		return mask{}, false
	}
	end := runOf(s, body, ok)
	if end-body < minLen {
		return mask{}, false
	}
	return mask{start: body, end: end, label: redacted}, true
}

// maskJWT recognises header.payload.signature where header and payload are base64url JSON
// objects, so both start with "eyJ" ("{\""). The J of the header is at i.
func maskJWT(s string, i, floor int) (mask, bool) {
	start := i - 2
	// The boundary is the end of a base64url run (not just of a word), so only the first "eyJ" of
	// a run is tried: "eyJ-eyJ-eyJ..." stays linear instead of rescanning the run at every J.
	if start < floor || s[start] != 'e' || s[start+1] != 'y' || (start > floor && isBase64URL(s[start-1])) {
		return mask{}, false
	}
	end := runOf(s, i+1, isBase64URL)
	if !strings.HasPrefix(s[end:], ".eyJ") {
		return mask{}, false
	}
	end = runOf(s, end+len(".eyJ"), isBase64URL)
	if end >= len(s) || s[end] != '.' {
		return mask{}, false
	}
	end = runOf(s, end+1, isBase64URL)
	return mask{start: start, end: end, label: redactedJWT}, true
}

// maskAWSKey recognises an AWS access key id: AKIA (long-term) or ASIA (temporary) and exactly
// 16 upper-case letters or digits, as a whole word.
func maskAWSKey(s string, i, floor int) (mask, bool) {
	rest := s[i:]
	if !(strings.HasPrefix(rest, "AKIA") || strings.HasPrefix(rest, "ASIA")) || !boundaryBefore(s, i, floor) {
		return mask{}, false
	}
	body := i + 4
	// Look no further than one byte past a key: a long upper-case run is not a key, and scanning
	// all of it at every "AKIA" would make "AKIAAKIA..." quadratic.
	end := runOf(s[:min(len(s), body+awsKeyBody+1)], body, isUpperAlnum)
	if end-body != awsKeyBody || (end < len(s) && isAlnum(s[end])) {
		return mask{}, false
	}
	return mask{start: body, end: end, label: redacted}, true
}

// Bearer tokens shorter than this must contain a digit or symbol to count: "Bearer token missing"
// is prose, "Bearer abc123xyz" is not.
const (
	minBearerToken      = 8
	minBearerPlainToken = 16
)

// maskBearer recognises "Bearer <token>" (any case) and masks the token.
func maskBearer(s string, i, floor int) (mask, bool) {
	const word = "bearer"
	if len(s)-i <= len(word) || !strings.EqualFold(s[i:i+len(word)], word) || !boundaryBefore(s, i, floor) {
		return mask{}, false
	}
	start := i + len(word)
	if !isSpace(s[start]) {
		return mask{}, false
	}
	start = runOf(s, start, isSpace)
	return maskToken(s, start)
}

// maskToken masks the bearer-like token starting at start, if it looks like one.
func maskToken(s string, start int) (mask, bool) {
	end := runOf(s, start, isTokenByte)
	hasNonLetter := false
	for _, c := range []byte(s[start:end]) {
		if !('a' <= c|0x20 && c|0x20 <= 'z') {
			hasNonLetter = true
			break
		}
	}
	length := end - start
	if length < minBearerToken || (length < minBearerPlainToken && !hasNonLetter) {
		return mask{}, false
	}
	end = runOf(s, end, func(b byte) bool { return b == '=' })
	return mask{start: start, end: end, label: redacted}, true
}

// maskURLPassword masks the password of a URL whose authority starts at authority (just after
// "://"): scheme://user:password@host keeps the user name visible. A user part with no password
// that looks like a token (scheme://<token>@host, common in git remotes) is masked whole.
func maskURLPassword(s string, authority int) (mask, bool) {
	end := authority
	for end < len(s) && !endsAuthority(s[end]) {
		end++
	}
	at := strings.LastIndexByte(s[authority:end], '@')
	if at < 0 {
		return mask{}, false
	}
	at += authority
	start := authority
	if colon := strings.IndexByte(s[authority:at], ':'); colon >= 0 {
		start = authority + colon + 1
	} else if !looksLikeToken(s[authority:at]) {
		return mask{}, false
	} else if _, known := nextMask(s[:at], authority, authority); known {
		return mask{}, false // a known shape ("ghp_...") is masked by its own rule, keeping its prefix
	}
	if start == at || s[start:at] == redacted {
		return mask{}, false
	}
	return mask{start: start, end: at, label: redacted}, true
}

// minUserinfoToken is the length from which a password-less user part counts as a token.
const minUserinfoToken = 20

// looksLikeToken tells a credential used as a URL's user name from a real user name ("git",
// "deploy"): long, and with a digit.
func looksLikeToken(user string) bool {
	return len(user) >= minUserinfoToken && strings.ContainsAny(user, "0123456789")
}

// endsAuthority reports bytes that cannot appear in a URL's user:password@host part.
func endsAuthority(b byte) bool {
	switch b {
	case '/', '?', '#', '"', '\'', '<', '>', '`', '\\', ' ', 0x7f:
		return true
	}
	return b < 0x20
}
