package fieldwork

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Output layouts (SPEC §1.4): tasks, users, workflows, webhooks and events use TaskLayout;
// flows, hubs, roles, history createdAt and token expires_at use MicroLayout. Both are UTC.
const (
	TaskLayout  = "2006-01-02T15:04:05+00:00"
	MicroLayout = "2006-01-02T15:04:05.000000Z"
	DateLayout  = "2006-01-02"
)

var (
	errBadTime     = errors.New("must be a date-time like 2006-01-02 15:04:05 or 2006-01-02T15:04:05+07:00")
	errTimeOutside = errors.New("must be a date-time between 0001-01-01 00:00:01 and 9999-12-31 23:59:59 UTC")
	// firstTime is the earliest instant accepted: the zero time.Time (0001-01-01 00:00:00 UTC)
	// means "no value" and is written as null.
	firstTime = time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)
)

// ParseTime parses the date-time input forms of SPEC §1.4: "2006-01-02 15:04:05",
// "2006-01-02T15:04:05", and RFC 3339 with any fraction length and a numeric offset or Z.
// A value without an offset is UTC. The result is in UTC, within the years 0001-9999 that the
// output forms can carry (an offset can push a valid-looking input outside them).
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) < 19 || (s[10] != 'T' && s[10] != ' ') {
		return time.Time{}, errBadTime
	}
	// Normalise the separator so one family of layouts serves both.
	b := []byte(s)
	b[10] = 'T'
	s = string(b)
	rest := s[19:]
	// Fraction: any number of digits after a dot.
	if strings.HasPrefix(rest, ".") {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return time.Time{}, errBadTime
		}
		rest = rest[i:]
	}
	var layout string
	switch {
	case rest == "":
		layout = "2006-01-02T15:04:05.999999999"
	case rest == "Z" || len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		layout = "2006-01-02T15:04:05.999999999Z07:00"
	default:
		return time.Time{}, errBadTime
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, errBadTime
	}
	if t = t.UTC(); t.Before(firstTime) || t.Year() > 9999 {
		return time.Time{}, errTimeOutside
	}
	return t, nil
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil || len(s) != len(DateLayout) {
		return time.Time{}, errors.New("must be a date like 2006-01-02")
	}
	return t, nil
}

// ParseTimeOfDay validates "15:04" or "15:04:05" and returns it in the "15:04:05"-or-"15:04"
// form it was given.
func ParseTimeOfDay(s string) (string, error) {
	for _, layout := range []string{"15:04", "15:04:05"} {
		if len(s) == len(layout) {
			if _, err := time.Parse(layout, s); err == nil {
				return s, nil
			}
		}
	}
	return "", errors.New("must be a time like 15:04 or 15:04:05")
}

// Time is a UTC instant rendered in the task form "2006-01-02T15:04:05+00:00". Its zero value
// encodes as null.
type Time struct{ time.Time }

// MicroTime is a UTC instant rendered in the form "2006-01-02T15:04:05.000000Z". Its zero value
// encodes as null.
type MicroTime struct{ time.Time }

// NewTime truncates t to seconds (the precision of its wire form) and returns it as a Time.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Second)} }

// NewMicroTime truncates t to microseconds and returns it as a MicroTime.
func NewMicroTime(t time.Time) MicroTime { return MicroTime{t.UTC().Truncate(time.Microsecond)} }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) { return marshalTime(t.Time, TaskLayout) }

// UnmarshalJSON accepts every §1.4 input form and null.
func (t *Time) UnmarshalJSON(b []byte) error { return unmarshalTime(b, &t.Time) }

// MarshalJSON implements json.Marshaler.
func (t MicroTime) MarshalJSON() ([]byte, error) { return marshalTime(t.Time, MicroLayout) }

// UnmarshalJSON accepts every §1.4 input form and null.
func (t *MicroTime) UnmarshalJSON(b []byte) error { return unmarshalTime(b, &t.Time) }

func marshalTime(t time.Time, layout string) ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(layout)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, layout)
	return append(b, '"'), nil
}

func unmarshalTime(b []byte, dst *time.Time) error {
	if bytes.Equal(b, []byte("null")) {
		*dst = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errBadTime
	}
	t, err := ParseTime(s)
	if err != nil {
		return err
	}
	*dst = t
	return nil
}
