package sandbox

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"strings"
)

const (
	noService             = "(no service)"
	maxServiceNameSearch  = 200
	summaryTopServices    = 5
	serviceNameSearchAttr = "serviceNameSearch"
)

type serviceStats struct {
	name      string
	excluded  bool // filtered out by serviceNameSearch
	count     int
	bySev     [severityCount]int
	perBucket []int
}

type serviceJSON struct {
	ServiceName       string         `json:"service_name"`
	LogCount          int            `json:"log_count"`
	ErrorCount        int            `json:"error_count"`
	ErrorRate         float64        `json:"error_rate"`
	VolumeSharePct    float64        `json:"volume_share_pct"`
	SeverityBreakdown map[string]int `json:"severity_breakdown"`
	ActiveRules       []any          `json:"active_rules"`
}

type serviceSparkJSON struct {
	Time        string `json:"time"`
	ServiceName string `json:"service_name"`
	Count       int    `json:"count"`
}

type servicesResponse struct {
	Services      []serviceJSON      `json:"services"`
	Sparkline     []serviceSparkJSON `json:"sparkline"`
	TotalServices int                `json:"total_services"`
	Summary       struct {
		TopServicesCount          int     `json:"top_services_count"`
		TopServicesVolumeSharePct float64 `json:"top_services_volume_share_pct"`
	} `json:"summary"`
}

// handleServices serves POST logs/services/.
func (s *Sandbox) handleServices(rq *logsRequest) {
	in, _, err := readQuery(rq)
	if err != nil {
		rq.fail(err)
		return
	}
	filter, err := buildFilter(in, rq.now, true, true)
	if err != nil {
		rq.fail(err)
		return
	}
	nameSearch := ""
	if in.ServiceNameSearch != nil {
		if len([]rune(*in.ServiceNameSearch)) > maxServiceNameSearch {
			rq.fail(errValidation("max_length", "Ensure this field has no more than 200 characters.", serviceNameSearchAttr))
			return
		}
		nameSearch = strings.ToLower(*in.ServiceNameSearch)
	}

	filter.window = clampForBuckets(filter.window, rq.now)
	buckets := newBucketing(filter.window)
	byName := map[string]*serviceStats{}
	filter.each(rq.rows, func(r *logRow) {
		name := r.res.service
		if name == "" {
			name = noService
		}
		st := byName[name]
		if st == nil {
			st = &serviceStats{name: name, excluded: nameSearch != "" && !strings.Contains(strings.ToLower(name), nameSearch)}
			if !st.excluded {
				st.perBucket = make([]int, buckets.count)
			}
			byName[name] = st
		}
		if st.excluded {
			return
		}
		st.count++
		st.bySev[r.sev]++
		st.perBucket[buckets.index(r.micros)]++
	})

	stats := make([]*serviceStats, 0, len(byName))
	total := 0
	for _, st := range byName {
		if st.excluded {
			continue
		}
		stats = append(stats, st)
		total += st.count
	}
	slices.SortFunc(stats, func(a, b *serviceStats) int {
		return cmp.Or(cmp.Compare(b.count, a.count), cmp.Compare(a.name, b.name))
	})

	resp := servicesResponse{
		Services:      make([]serviceJSON, 0, len(stats)),
		Sparkline:     make([]serviceSparkJSON, 0, len(stats)*buckets.count),
		TotalServices: len(stats),
	}
	top := 0
	for i, st := range stats {
		errors := st.bySev[sevError] + st.bySev[sevFatal]
		resp.Services = append(resp.Services, serviceJSON{
			ServiceName:    st.name,
			LogCount:       st.count,
			ErrorCount:     errors,
			ErrorRate:      round(float64(errors)/float64(st.count), 4),
			VolumeSharePct: round(100*float64(st.count)/float64(total), 2),
			SeverityBreakdown: map[string]int{
				"debug": st.bySev[sevTrace] + st.bySev[sevDebug],
				"info":  st.bySev[sevInfo],
				"warn":  st.bySev[sevWarn],
				"error": errors,
			},
			ActiveRules: []any{},
		})
		if i < summaryTopServices {
			top += st.count
		}
	}
	for b := range buckets.count {
		label := buckets.label(b)
		for _, st := range stats {
			resp.Sparkline = append(resp.Sparkline, serviceSparkJSON{Time: label, ServiceName: st.name, Count: st.perBucket[b]})
		}
	}
	resp.Summary.TopServicesCount = min(summaryTopServices, len(stats))
	if total > 0 {
		resp.Summary.TopServicesVolumeSharePct = round(100*float64(top)/float64(total), 2)
	}
	writeJSON(rq.w, http.StatusOK, resp)
}

func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}
