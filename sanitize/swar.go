package sanitize

// Word-at-a-time ("SWAR") helpers: the fast paths look at eight bytes per step, since nearly all
// log text is clean and a byte-by-byte loop is the whole cost of the common case.

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// load8 reads the first eight bytes of b as a little-endian word; the compiler turns this into a
// single load with a single bounds check.
func load8(b string) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// isPrintableASCII8 reports whether all eight bytes of w are in 0x20..0x7e, with the classic
// "has a byte less than n" and "has a zero byte" bit tricks.
func isPrintableASCII8(w uint64) bool {
	hasNonASCII := w & highs
	hasControl := (w - 0x20*ones) &^ w & highs
	del := w ^ 0x7f*ones
	hasDEL := (del - ones) &^ del & highs
	return hasNonASCII|hasControl|hasDEL == 0
}

// anchorCandidates8 returns a word with the high bit set in every byte of w that is one of
// anchorBytes ("_=:ABbJ"). It may also flag a byte right above a real anchor (the borrow of the
// cheap "has a zero byte" trick), so callers re-check the byte; it never misses one.
func anchorCandidates8(w uint64) uint64 {
	folded := w | 0x20*ones // 'B' → 'b'
	return (zeroish(w^('_'*ones)) | zeroish(w^('='*ones)) | zeroish(w^(':'*ones)) |
		zeroish(w^('A'*ones)) | zeroish(folded^('b'*ones)) | zeroish(w^('J'*ones))) & highs
}

// zeroish sets the high bit of every zero byte of x (and possibly of a 0x01 byte above one);
// the caller masks with highs.
func zeroish(x uint64) uint64 { return (x - ones) &^ x }
