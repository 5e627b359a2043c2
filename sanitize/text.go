package sanitize

import (
	"strings"
	"unicode/utf8"
)

const (
	esc = 0x1b
	bel = 0x07
	del = 0x7f
)

// needsLook marks the bytes that make Text look closer: C0 controls other than \t and \n, DEL,
// and every non-ASCII byte (the start or continuation of a multi-byte rune, or invalid UTF-8).
var needsLook = func() (table [256]bool) {
	for b := 0; b < 256; b++ {
		table[b] = (b < 0x20 && b != '\t' && b != '\n') || b >= del
	}
	return table
}()

// Text returns s with terminal escape sequences (CSI "ESC [ ... final", OSC/DCS/APC/PM/SOS
// strings ended by BEL or ST, and other "ESC x"), C0 controls except \n and \t, DEL, C1 controls
// (U+0080–U+009F), bidi controls and invisible characters removed, and invalid UTF-8 replaced by
// U+FFFD (one per run of bad bytes). When nothing needs changing, s itself is returned.
func Text(s string) string {
	i := firstChange(s)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	cleanFrom(&b, s, i)
	return b.String()
}

// firstChange returns the index of the first byte Text would alter, or len(s). Clean non-ASCII
// text (accents, CJK, emoji) is decoded but not copied.
func firstChange(s string) int {
	i := 0
	for i < len(s) {
		// Most text is printable ASCII: check eight bytes at a time and look closer only at words
		// holding a control, DEL or non-ASCII byte (tabs and newlines land here too, and pass).
		if i+8 <= len(s) && isPrintableASCII8(load8(s[i:])) {
			i += 8
			continue
		}
		end := min(i+8, len(s))
		for i < end {
			if !needsLook[s[i]] {
				i++
				continue
			}
			if s[i] < utf8.RuneSelf {
				return i
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && size == 1) || isHiddenRune(r) {
				return i
			}
			i += size
		}
	}
	return len(s)
}

// cleanFrom writes the cleaned form of s[i:] to b.
func cleanFrom(b *strings.Builder, s string, i int) {
	for i < len(s) {
		c := s[i]
		switch {
		case c == esc:
			i = skipEscape(s, i)
		case c < utf8.RuneSelf:
			if !needsLook[c] {
				b.WriteByte(c)
			}
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteRune(utf8.RuneError)
				i = skipInvalid(s, i)
				continue
			}
			if !isHiddenRune(r) {
				b.WriteString(s[i : i+size])
			}
			i += size
		}
	}
}

// skipInvalid returns the index after the run of invalid UTF-8 bytes starting at i.
func skipInvalid(s string, i int) int {
	for i < len(s) && s[i] >= utf8.RuneSelf {
		if r, size := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || size != 1 {
			break
		}
		i++
	}
	return i
}

// isHiddenRune reports runes that are invisible or reorder text: C1 controls, bidi controls,
// zero-width and other invisible format characters, and tag characters. They let log content
// look different from what it is (e.g. "Trojan Source" bidi tricks), so they are removed.
func isHiddenRune(r rune) bool {
	switch {
	case r < 0x80:
		return false
	case r <= 0x9f: // C1 controls
		return true
	case r == 0x00ad, // soft hyphen
		r == 0x061c,                  // Arabic letter mark
		r == 0x180e,                  // Mongolian vowel separator
		0x200b <= r && r <= 0x200f,   // zero-width space/non-joiner/joiner, LRM, RLM
		0x202a <= r && r <= 0x202e,   // bidi embeddings and overrides
		0x2060 <= r && r <= 0x206f,   // word joiner, invisible operators, bidi isolates, deprecated format
		r == 0xfeff,                  // zero-width no-break space (BOM)
		0xfff9 <= r && r <= 0xfffb,   // interlinear annotation controls
		0xe0000 <= r && r <= 0xe007f: // tag characters
		return true
	}
	return false
}
