package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldwork-dev/fieldwork"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestToAPIError(t *testing.T) {
	for _, tt := range []struct {
		name       string
		err        error
		status     int
		failedCode string
		message    string
	}{
		{"unknown error is a generic 500", errors.New("pq: secret table xyz"), 500, "sys-045", "Internal server error"},
		{"internal error keeps only its code", &fieldwork.Error{Code: fieldwork.EINTERNAL, FailedCode: "activ-036", Message: "Activity creation failed", Cause: errors.New("disk full")}, 500, "activ-036", "Activity creation failed"},
		{"invalid", fieldwork.InvalidField("hub-032", "lat", "must be a number"), 400, "hub-032", "lat: must be a number"},
		{"not found", fieldwork.NotFound("task-033", "Data not found"), 404, "task-033", "Data not found"},
		{"precondition", fieldwork.Errorf(fieldwork.EPRECONDITION, "etag-032", "stale"), 412, "etag-032", "stale"},
		{"wrapped domain error", errors.Join(fieldwork.ErrForbidden()), 403, "auth-003", fieldwork.MsgForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ae := toAPIError(quiet, "req-1", tt.err)
			b, _ := json.Marshal(ae)
			if ae.status != tt.status || ae.body.FailedCode != tt.failedCode || ae.body.Message != tt.message {
				t.Fatalf("got %d %s", ae.status, b)
			}
			if tt.status == 500 && (ae.body.RequestID != "req-1" || strings.Contains(string(b), "secret") || strings.Contains(string(b), "disk")) {
				t.Fatalf("500 body: %s", b)
			}
		})
	}
}

// panicStore panics on every call (its embedded Store is nil).
type panicStore struct{ fieldwork.Store }

func TestPanicBecomesJSON500(t *testing.T) {
	srv := NewServer(fieldwork.NewService(panicStore{}), quiet, "")
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/v3/hubs", nil)
	req.Header.Set("Authorization", "Bearer x")
	srv.ServeHTTP(rec, req)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusInternalServerError {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if body["failedCode"] != "sys-045" || body["message"] != "Internal server error" || body["requestId"] == "" {
		t.Fatalf("body %v", body)
	}
}

func TestHasNUL(t *testing.T) {
	for in, want := range map[string]bool{
		`{"a":"x\u0000y"}`:       true,
		`{"a":"\u0000"}`:         true,
		`{"a":"x\\u0000"}`:       false, // an escaped backslash, then the text u0000
		`{"a":"\u00001"}`:        true,
		`{"a":"\u0001"}`:         false,
		`{"\u0000":1}`:           true,
		`{"a":"ok"}`:             false,
		`{"a":["b","\\\u0000"]}`: true,
	} {
		if got := hasNUL([]byte(in)); got != want {
			t.Errorf("hasNUL(%s) = %v", in, got)
		}
	}
}
