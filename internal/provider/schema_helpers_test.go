package provider

import "testing"

func TestHumanHoursUnits(t *testing.T) {
	for h, want := range map[int64]string{8760: "1 year", 24: "1 day", 1: "1 hour", 0: "0 hours", 2562047: "2562047 hours", 17520: "2 years"} {
		if got := humanHours(h); got != want {
			t.Errorf("humanHours(%d) = %q, want %q", h, got, want)
		}
	}
}
