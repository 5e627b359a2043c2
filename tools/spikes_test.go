package tools

import (
	"testing"
	"time"
)

func TestFindSpikes(t *testing.T) {
	flat := make([]int64, 50)
	for i := range flat {
		flat[i] = 40 + int64(i%3)
	}
	spiky := make([]int64, 50)
	for i := range spiky {
		spiky[i] = 3
	}
	spiky[40], spiky[41], spiky[42] = 150, 212, 90
	quiet := make([]int64, 50)
	quiet[10] = 4 // a few lines in a quiet series are not a spike
	twoRuns := make([]int64, 50)
	twoRuns[5], twoRuns[30], twoRuns[31] = 50, 80, 80

	tests := []struct {
		name      string
		counts    []int64
		wantRuns  [][2]int
		wantTotal []int64
	}{
		{"steady volume", flat, nil, nil},
		{"error burst", spiky, [][2]int{{40, 42}}, []int64{452}},
		{"quiet series", quiet, nil, nil},
		{"two runs, biggest first", twoRuns, [][2]int{{30, 31}, {5, 5}}, []int64{160, 50}},
		{"too short to judge", []int64{1, 100}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := findSpikes(tc.counts)
			if len(got) != len(tc.wantRuns) {
				t.Fatalf("got %d spikes %+v, want %d", len(got), got, len(tc.wantRuns))
			}
			for i, s := range got {
				if s.first != tc.wantRuns[i][0] || s.last != tc.wantRuns[i][1] || s.total != tc.wantTotal[i] {
					t.Errorf("spike %d = %+v, want run %v total %d", i, s, tc.wantRuns[i], tc.wantTotal[i])
				}
			}
		})
	}
	if r := findSpikes(spiky)[0].ratio(); r < 40 || r > 60 {
		t.Errorf("ratio %.1f, want about 150/3", r)
	}
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		in   []int64
		want string
	}{
		{[]int64{0, 0, 0}, "▁▁▁"},
		{[]int64{0, 1, 8}, "▁▂█"},
		{[]int64{5, 5}, "██"},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := sparkline(tc.in); got != tc.want {
			t.Errorf("sparkline(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 182411: "182,411", -1234567: "-1,234,567"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestBucketsOf(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	pts := []point{
		{t0.Add(2 * time.Minute), "error", 5},
		{t0, "info", 1},
		{t0.Add(time.Minute), "info", 2},
		{t0.Add(2 * time.Minute), "info", 3},
	}
	axis, width, all := bucketsOf(pts)
	if len(axis) != 3 || width != time.Minute {
		t.Fatalf("axis %v width %v", axis, width)
	}
	if len(all) != 2 || all[0].name != "error" || all[0].counts[2] != 5 || all[0].counts[0] != 0 || all[1].total != 6 {
		t.Errorf("series %+v %+v", *all[0], *all[1])
	}
	if widthLabel(width) != "1-minute" || widthLabel(2*time.Hour) != "2-hour" || widthLabel(10*time.Second) != "10-second" {
		t.Error("widthLabel")
	}
}

func TestClosest(t *testing.T) {
	known := []string{"checkout", "payments", "api-gateway", "auth"}
	for want, exp := range map[string]string{"checkout-api": "checkout", "paymnts": "payments", "gateway": "api-gateway", "zzzzzzzzzz": ""} {
		if got := closest(want, known); got != exp {
			t.Errorf("closest(%q) = %q, want %q", want, got, exp)
		}
	}
}
