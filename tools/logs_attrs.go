package tools

import (
	"slices"
	"strings"
)

type attrKey struct {
	name     string
	resource bool
}

type attrKV struct {
	attrKey
	value string
}

// splitAttributes separates attributes every row shares (same value)
// from those that vary, in a stable order: log attributes, then resource.
func splitAttributes(rows []cleanRow) (shared []attrKV, varying []attrKey) {
	// Count each key's rows: only a key present on every row can be
	// shared, so most keys are settled without looking at values.
	logCount, resCount := map[string]int{}, map[string]int{}
	for _, r := range rows {
		for k := range r.Attrs {
			logCount[k]++
		}
		for k := range r.Resource {
			resCount[k]++
		}
	}
	delete(resCount, serviceKey) // printed as the service column
	keys := make([]attrKey, 0, len(logCount)+len(resCount))
	for k := range logCount {
		keys = append(keys, attrKey{k, false})
	}
	for k := range resCount {
		keys = append(keys, attrKey{k, true})
	}
	slices.SortFunc(keys, func(a, b attrKey) int {
		if a.resource != b.resource {
			if a.resource {
				return 1
			}
			return -1
		}
		return strings.Compare(a.name, b.name)
	})
	for _, k := range keys {
		count := logCount[k.name]
		if k.resource {
			count = resCount[k.name]
		}
		if count < len(rows) || len(rows) < 2 {
			varying = append(varying, k)
			continue
		}
		first, _ := rows[0].attr(k)
		same := true
		for _, r := range rows[1:] {
			if v, _ := r.attr(k); v != first {
				same = false
				break
			}
		}
		if same {
			shared = append(shared, attrKV{k, first})
		} else {
			varying = append(varying, k)
		}
	}
	return shared, varying
}

func (r *cleanRow) attr(k attrKey) (string, bool) {
	if k.resource {
		v, ok := r.Resource[k.name]
		return v, ok
	}
	v, ok := r.Attrs[k.name]
	return v, ok
}

func hasKey(kvs []attrKV, k attrKey) bool {
	for _, kv := range kvs {
		if kv.attrKey == k {
			return true
		}
	}
	return false
}

// servicePinned finds, for each service with several rows on the page,
// the varying resource attributes that are constant within it.
func servicePinned(rows []cleanRow, varying []attrKey) map[string][]attrKV {
	byService := map[string][]int{}
	for i, r := range rows {
		byService[r.Service] = append(byService[r.Service], i)
	}
	if len(byService) < 2 {
		return nil
	}
	out := map[string][]attrKV{}
	for name, idx := range byService {
		if len(idx) < 2 {
			continue
		}
		for _, k := range varying {
			if !k.resource {
				continue
			}
			first, ok := rows[idx[0]].attr(k)
			same := ok
			for _, i := range idx[1:] {
				if v, ok := rows[i].attr(k); !ok || v != first {
					same = false
					break
				}
			}
			if same {
				out[name] = append(out[name], attrKV{k, first})
			}
		}
	}
	return out
}

// containsToken reports whether v occurs in body as a whole token: not
// glued to letters or digits on either side, so user u_53 is not taken
// for u_530 and status 500 not for 1500ms.
func containsToken(body, v string) bool {
	for from := 0; ; {
		i := strings.Index(body[from:], v)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(v)
		if (start == 0 || !isAlnum(body[start-1])) && (end == len(body) || !isAlnum(body[end])) {
			return true
		}
		from = start + 1
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
