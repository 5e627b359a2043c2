package sanitize

import "strings"

// maxKeyLen bounds how far back a quoted key is looked for: secret keys are short.
const maxKeyLen = 64

// isSecretKey reports whether values under a key ending at the end of key should be masked: keys
// ending in password, passwd, passphrase, secret, token, api_key, apikey, secret_key, private_key
// or access_key. Case-insensitive; "-" is the same as "_" so "X-Api-Key" and "db_password" count.
// Only the end of key is read, so callers may pass everything up to the '=' or the quote. The
// switch on the last byte rejects most ordinary keys ("user_id", "status") in one comparison.
func isSecretKey(key string) bool {
	if key == "" {
		return false
	}
	switch key[len(key)-1] | 0x20 {
	case 'd':
		return hasSuffixFold(key, "password") || hasSuffixFold(key, "passwd")
	case 'e':
		return hasSuffixFold(key, "passphrase")
	case 'n':
		return hasSuffixFold(key, "token")
	case 't':
		return hasSuffixFold(key, "secret")
	case 'y':
		return hasSuffixFold(key, "api_key") || hasSuffixFold(key, "apikey") || hasSuffixFold(key, "secret_key") ||
			hasSuffixFold(key, "private_key") || hasSuffixFold(key, "access_key")
	}
	return false
}

// hasSuffixFold compares the end of key with suffix (lower-case, "_" for separators), from the
// last byte backwards since that is where ordinary keys differ, without allocating.
func hasSuffixFold(key, suffix string) bool {
	if len(key) < len(suffix) {
		return false
	}
	tail := key[len(key)-len(suffix):]
	for i := len(tail) - 1; i >= 0; i-- {
		c := tail[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		} else if c == '-' {
			c = '_'
		}
		if c != suffix[i] {
			return false
		}
	}
	return true
}

func isKeyByte(b byte) bool { return isAlnum(b) || b == '_' || b == '-' || b == '.' }

// keyBefore returns the key that ends just before end (exclusive), not looking before floor.
func keyBefore(s string, end, floor int) (start int) {
	start = end
	for start > floor && end-start < maxKeyLen && isKeyByte(s[start-1]) {
		start--
	}
	return start
}

// maskKeyValue masks the value of key=value when the key is a secret one. The '=' is at i.
// Values may be bare (up to a delimiter), quoted with ' or ", or quoted with \" inside an escaped
// JSON string.
func maskKeyValue(s string, i, floor int) (mask, bool) {
	if !isSecretKey(s[floor:i]) {
		return mask{}, false
	}
	return maskValue(s, i+1, true)
}

// maskJSONMember masks the string value of "key": "value" when the key is a secret one. The ':'
// is at i, right after the key's closing quote. Also covers escaped JSON ({\"password\":\"x\"})
// and Python reprs ({'password': 'x'}).
func maskJSONMember(s string, i, floor int) (mask, bool) {
	quote := i - 1
	if quote <= floor || (s[quote] != '"' && s[quote] != '\'') {
		return mask{}, false
	}
	keyEnd := quote
	if s[keyEnd-1] == '\\' {
		keyEnd--
	}
	if !isSecretKey(s[floor:keyEnd]) {
		return mask{}, false
	}
	keyStart := keyBefore(s, keyEnd, floor)
	if keyStart == floor || s[keyStart-1] != s[quote] {
		return mask{}, false
	}
	return maskValue(s, runOf(s, i+1, isSpace), false)
}

// maskValue masks the value starting at start: quoted with ", ' or an escaped \" (the value of a
// JSON document logged inside a JSON string), or bare when allowBare (JSON numbers, booleans and
// null are not secrets).
func maskValue(s string, start int, allowBare bool) (mask, bool) {
	rest := s[start:]
	var m mask
	switch {
	case strings.HasPrefix(rest, `\"`):
		m = quotedValue(s, start+2, `\"`)
	case strings.HasPrefix(rest, `"`):
		m = quotedValue(s, start+1, `"`)
	case strings.HasPrefix(rest, `'`):
		m = quotedValue(s, start+1, `'`)
	case allowBare:
		m = bareValue(s, start)
	default:
		return mask{}, false
	}
	if m.start == m.end || s[m.start:m.end] == redacted {
		return mask{}, false
	}
	return m, true
}

// quotedValue masks from start up to the closing quote (a backslash escapes the next byte when
// the quote is a plain "), or to the end when the quote is never closed: a cut-off value is
// still a secret.
func quotedValue(s string, start int, closing string) mask {
	end := start
	for end < len(s) {
		if strings.HasPrefix(s[end:], closing) {
			break
		}
		if closing == `"` && s[end] == '\\' {
			end++
		}
		end++
	}
	return mask{start: start, end: min(end, len(s)), label: redacted}
}

// bareValue masks an unquoted value up to the next delimiter. An auth scheme ("token=Bearer abc")
// takes the following word with it, or the real secret would stay visible.
func bareValue(s string, start int) mask {
	end := start
	for end < len(s) && !endsBareValue(s[end]) {
		end++
	}
	word := s[start:end]
	if (strings.EqualFold(word, "bearer") || strings.EqualFold(word, "basic")) && end < len(s) && isSpace(s[end]) {
		tokenStart := runOf(s, end, isSpace)
		tokenEnd := tokenStart
		for tokenEnd < len(s) && !endsBareValue(s[tokenEnd]) {
			tokenEnd++
		}
		if tokenEnd > tokenStart {
			end = tokenEnd
		}
	}
	return mask{start: start, end: end, label: redacted}
}

// endsBareValue reports the delimiters of an unquoted value in logfmt, query strings and prose.
func endsBareValue(b byte) bool {
	switch b {
	case ' ', '&', ';', ',', '"', '\'', ')', '}', '<', '>', '\\', 0x7f:
		return true
	}
	return b < 0x20
}
