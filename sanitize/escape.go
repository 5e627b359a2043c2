package sanitize

// skipEscape returns the index just after the escape sequence that starts with ESC at s[i].
// Malformed or unterminated sequences end early; at the very least the ESC itself is skipped,
// so no ESC byte ever survives.
func skipEscape(s string, i int) int {
	j := i + 1
	if j >= len(s) {
		return j
	}
	switch c := s[j]; {
	case c == '[': // CSI: parameter bytes, intermediate bytes, one final byte
		j++
		for j < len(s) && 0x20 <= s[j] && s[j] <= 0x3f {
			j++
		}
		if j < len(s) && 0x40 <= s[j] && s[j] <= 0x7e {
			j++
		}
		return j
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_': // OSC, DCS, SOS, PM, APC
		return skipControlString(s, j+1)
	case 0x20 <= c && c <= 0x2f: // intermediate bytes then a final byte, e.g. "ESC ( B"
		for j < len(s) && 0x20 <= s[j] && s[j] <= 0x2f {
			j++
		}
		if j < len(s) && 0x30 <= s[j] && s[j] <= 0x7e {
			j++
		}
		return j
	case 0x30 <= c && c <= 0x7e: // two-byte sequence, e.g. "ESC c" or "ESC 7"
		return j + 1
	}
	return j // ESC before a control or non-ASCII byte: drop the ESC alone
}

// skipControlString skips the payload of an OSC-like string starting at s[j], up to and including
// its terminator: BEL, ST ("ESC \" or U+009C). A payload never spans another control character
// or escape: those end it early, so an unterminated title cannot swallow the rest of the log.
func skipControlString(s string, j int) int {
	for j < len(s) {
		c := s[j]
		switch {
		case c == bel:
			return j + 1
		case c == esc:
			if j+1 < len(s) && s[j+1] == '\\' {
				return j + 2
			}
			return j // a new escape sequence starts: let the caller handle it
		case c < 0x20:
			return j
		case c == 0xc2 && j+1 < len(s) && s[j+1] == 0x9c: // U+009C, the C1 string terminator
			return j + 2
		}
		j++
	}
	return j
}
