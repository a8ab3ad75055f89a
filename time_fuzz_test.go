package fieldwork

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// inputForm is the grammar of the §1.4 date-time input forms: a date, T or a space, a time of
// day, an optional fraction of any length, and an optional Z or ±hh:mm offset.
var inputForm = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$`)

// FuzzParseTime checks the date-time parser against the grammar of SPEC §1.4 and the wire
// forms against the parser: ParseTime accepts exactly the strings of the grammar whose fields
// name a real instant that the output forms can carry (UTC years 0001-9999, not the zero time,
// which is written as null), returns UTC, and every accepted instant survives both output
// forms (Time, MicroTime) and a second parse. Found by it: an offset could push an accepted
// input into year 0000 or 10000, whose output form no client could send back. Run it with
// `go test . -run '^$' -fuzz FuzzParseTime -fuzztime 5m`.
func FuzzParseTime(f *testing.F) {
	for _, seed := range []string{
		"2026-03-04 05:06:07", "2026-03-04T05:06:07", "2026-03-04T12:06:07+07:00",
		"2026-03-04T05:06:07Z", "2026-03-04T12:06:07.000+07:00", "2026-03-04T05:06:07.123456789Z",
		"2026-03-04T05:06:07.5", "2026-03-04T05:06:07.1234567891234-00:30", " 2026-03-04T05:06:07 ",
		"2026-02-29T00:00:00", "2024-02-29T24:00:00", "9999-12-31T23:59:59-14:00",
		"0001-01-01T00:00:00Z", "0000-01-01T00:00:00+01:00", "2026-03-04T05:06:07+99:99",
		"2026-03-04T05:06:07.Z", "2026-03-04", "15:04", "", "2026-03-04T05:06:07+0700",
		"２０２６-03-04T05:06:07", "2026-03-04T05:06:07\x00",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		trimmed := strings.TrimSpace(s)
		if err != nil {
			if inputForm.MatchString(trimmed) && carried(trimmed) {
				t.Fatalf("ParseTime(%q) refused a valid input form: %v", s, err)
			}
			return
		}
		if !inputForm.MatchString(trimmed) {
			t.Fatalf("ParseTime(%q) accepted a string outside the input forms: %v", s, got)
		}
		if got.Location() != time.UTC {
			t.Fatalf("ParseTime(%q) is not UTC: %v", s, got)
		}
		if NewTime(got).IsZero() {
			t.Fatalf("ParseTime(%q) = %v, which is written as null", s, got)
		}
		// The answer forms must parse back to the same instant at their precision, or a client
		// sending an object back unchanged would be refused or would move the time.
		for _, form := range []struct {
			name string
			v    json.Marshaler
			want time.Time
		}{
			{"Time", NewTime(got), got.Truncate(time.Second)},
			{"MicroTime", NewMicroTime(got), got.Truncate(time.Microsecond)},
		} {
			b, err := form.v.MarshalJSON()
			if err != nil {
				t.Fatalf("%s(%q).MarshalJSON: %v", form.name, s, err)
			}
			var back Time
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("%s of ParseTime(%q) = %s does not parse back: %v", form.name, s, b, err)
			}
			if !back.Equal(form.want) {
				t.Fatalf("%s of ParseTime(%q) = %s parses back as %v, want %v", form.name, s, b, back.Time, form.want)
			}
		}
	})
}

// carried reports whether a string of the input grammar names a real calendar instant that the
// output forms carry, decided by the standard library's RFC 3339 parser.
func carried(s string) bool {
	s = strings.Replace(s, " ", "T", 1)
	if !strings.HasSuffix(s, "Z") && !strings.ContainsAny(s[19:], "+-") {
		s += "Z"
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && t.UTC().Year() >= 1 && t.UTC().Year() <= 9999 && !t.UTC().Truncate(time.Second).IsZero()
}
