package fieldwork

import (
	"net/mail"
	"strings"
	"unicode"
)

func trimSpace(s string) string { return strings.TrimSpace(s) }

// NormalizeEmail lower-cases and checks an email address.
func NormalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 254 {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", false
	}
	return s, true
}

// hasControl reports whether s contains a control character.
func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
