package httpapi

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/fieldwork-dev/fieldwork"
)

// paging parses `page` (default 1) and `limit` (default def, 1..maxLimit).
func paging(pageS, limitS string, def, maxLimit int, failedCode string) (page, limit int, err error) {
	var fe fieldwork.FieldErrors
	page, limit = 1, def
	if pageS != "" {
		n, err := strconv.Atoi(pageS)
		if err != nil || n < 1 {
			fe.Add("page", "must be a positive integer")
		} else {
			page = n
		}
	}
	if limitS != "" {
		n, err := strconv.Atoi(limitS)
		if err != nil || n < 1 || n > maxLimit {
			fe.Add("limit", "must be an integer from 1 to %d", maxLimit)
		} else {
			limit = n
		}
	}
	if page > 1_000_000_000/limit {
		fe.Add("page", "is too large")
	}
	return page, limit, fe.Err(failedCode)
}

// oneOf returns v when it is one of allowed (def when v is empty), else records a problem.
func oneOf(fe *fieldwork.FieldErrors, field, v, def string, allowed ...string) string {
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	fe.Add(field, "must be one of: %s", strings.Join(allowed, ", "))
	return def
}

// boolParam parses an optional boolean query parameter.
func boolParam(fe *fieldwork.FieldErrors, field, v string) bool {
	switch strings.ToLower(v) {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	fe.Add(field, "must be true or false")
	return false
}

// splitList splits a comma list, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// project keeps only the requested top-level keys (plus `_id` and the always keys) of each
// item; with no fields the items are returned whole.
func project[T any](items []T, fields string, always ...string) []any {
	out := make([]any, len(items))
	keep := splitList(fields)
	if len(keep) > 0 {
		keep = append(append(keep, "_id"), always...)
	}
	for i, it := range items {
		if len(keep) == 0 {
			out[i] = it
		} else {
			out[i] = projectOne(it, keep)
		}
	}
	return out
}

func projectOne(v any, keep []string) map[string]json.RawMessage {
	b, err := json.Marshal(v)
	m := map[string]json.RawMessage{}
	if err != nil || json.Unmarshal(b, &m) != nil {
		return m
	}
	out := make(map[string]json.RawMessage, len(keep))
	for _, k := range keep {
		if val, ok := m[k]; ok {
			out[k] = val
		}
	}
	return out
}
