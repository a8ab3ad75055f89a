package fieldwork

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-03-04 05:06:07", want, true},
		{"2026-03-04T05:06:07", want, true},
		{"2026-03-04T12:06:07+07:00", want, true},
		{"2026-03-04T05:06:07Z", want, true},
		{"2026-03-04T12:06:07.000+07:00", want, true},
		{"2026-03-04T05:06:07.123456789Z", want.Add(123456789), true},
		{"2026-03-04T05:06:07.5", want.Add(500 * time.Millisecond), true},
		{"2026-03-04", time.Time{}, false},
		{"2026-03-04T05:06", time.Time{}, false},
		{"2026-13-04T05:06:07", time.Time{}, false},
		{"2026-03-04T05:06:07+0700", time.Time{}, false},
		{"2026-03-04T05:06:07.Z", time.Time{}, false},
		{"2026-03-04X05:06:07", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, err := ParseTime(tt.in)
		if (err == nil) != tt.ok || (tt.ok && !got.Equal(tt.want)) || (tt.ok && got.Location() != time.UTC) {
			t.Errorf("ParseTime(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestTimeForms(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("WIB", 7*3600))
	for _, tt := range []struct {
		v    any
		want string
	}{
		{NewTime(at), `"2026-03-03T22:06:07+00:00"`},
		{NewMicroTime(at), `"2026-03-03T22:06:07.123456Z"`},
		{Time{}, `null`},
		{MicroTime{}, `null`},
	} {
		b, err := json.Marshal(tt.v)
		if err != nil || string(b) != tt.want {
			t.Errorf("%T: %s, %v; want %s", tt.v, b, err, tt.want)
		}
	}
	var tm Time
	if err := json.Unmarshal([]byte(`"2026-03-04 05:06:07"`), &tm); err != nil || tm.Hour() != 5 {
		t.Fatalf("unmarshal: %v %v", tm, err)
	}
	if err := json.Unmarshal([]byte(`"nope"`), &tm); err == nil {
		t.Fatal("accepted nope")
	}
	if s, err := ParseTimeOfDay("09:30"); err != nil || s != "09:30" {
		t.Fatal(s, err)
	}
	if _, err := ParseTimeOfDay("25:00"); err == nil {
		t.Fatal("accepted 25:00")
	}
}

func TestNewID(t *testing.T) {
	now := time.Unix(0x6b0b45c4, 0)
	a, b := NewID(now), NewID(now)
	if a == b || !ValidID(a) || a[:8] != "6b0b45c4" {
		t.Fatalf("ids %s %s", a, b)
	}
	for _, bad := range []string{"", "6B0B45C4CA09D8D125649A26", "6b0b45c4ca09d8d125649a2", "6b0b45c4ca09d8d125649a2g"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q)", bad)
		}
	}
}
