package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/fieldwork-dev/fieldwork"
)

// Transport-level codes the domain does not need.
const (
	codeMethodNotAllowed = "method_not_allowed"
	codeNotAcceptable    = "not_acceptable"
)

// statusOf is the ONE table from error codes to HTTP statuses.
var statusOf = map[string]int{
	fieldwork.EINVALID:      http.StatusBadRequest,
	fieldwork.EUNAUTHORIZED: http.StatusUnauthorized,
	fieldwork.EFORBIDDEN:    http.StatusForbidden,
	fieldwork.ENOTFOUND:     http.StatusNotFound,
	codeMethodNotAllowed:    http.StatusMethodNotAllowed,
	codeNotAcceptable:       http.StatusNotAcceptable,
	fieldwork.ECONFLICT:     http.StatusConflict,
	fieldwork.EPRECONDITION: http.StatusPreconditionFailed,
	fieldwork.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	fieldwork.ERATELIMIT:    http.StatusTooManyRequests,
	fieldwork.EINTERNAL:     http.StatusInternalServerError,
}

// ErrorBody is the error envelope of SPEC §1.2; every error answer of every route is one.
type ErrorBody struct {
	Status      bool                   `json:"status" enum:"false" doc:"Always false."`
	Code        int                    `json:"code" doc:"The HTTP status, repeated."`
	Message     string                 `json:"message" doc:"What went wrong (SPEC §1.2.1)."`
	FailedCode  string                 `json:"failedCode" doc:"The stable code of the failure (SPEC §11), e.g. task-032."`
	Errors      []string               `json:"errors,omitempty" doc:"One \"field.path: problem\" per problem; present when the failure concerns fields."`
	FieldErrors []fieldwork.FieldError `json:"fieldErrors,omitempty" doc:"The same problems as {field, message} objects (extension)."`
	RequestID   string                 `json:"requestId,omitempty" doc:"On 500s: the id of the log line that holds the cause."`
	// extra holds additional keys (workflow delete refusals).
	extra map[string]any
}

// TransformSchema documents the keys a workflow delete refusal adds (SPEC §6.2), which live in
// extra where huma cannot see them.
func (b *ErrorBody) TransformSchema(r huma.Registry, s *huma.Schema) *huma.Schema {
	s.Properties["confirmation_required"] = &huma.Schema{Type: huma.TypeBoolean,
		Description: "Workflow delete refusals (workf-032): true."}
	s.Properties["usage"] = &huma.Schema{Type: huma.TypeObject, Description: "Workflow delete refusals (workf-032): what uses the workflow.",
		Properties: map[string]*huma.Schema{"activities": {Type: huma.TypeInteger}}, Required: []string{"activities"},
		AdditionalProperties: false}
	return s
}

// MarshalJSON adds the extra keys after the fixed ones.
func (b *ErrorBody) MarshalJSON() ([]byte, error) {
	type plain ErrorBody
	out, err := json.Marshal((*plain)(b))
	if err != nil || len(b.extra) == 0 {
		return out, err
	}
	extra, err := json.Marshal(b.extra)
	if err != nil {
		return nil, err
	}
	out = append(out[:len(out)-1], ',')
	return append(out, extra[1:]...), nil
}

// apiError is an error already turned into its status and body; huma writes it as is.
type apiError struct {
	status int
	body   *ErrorBody
}

func (e *apiError) Error() string  { return e.body.Message }
func (e *apiError) GetStatus() int { return e.status }

// MarshalJSON writes the envelope.
func (e *apiError) MarshalJSON() ([]byte, error) { return e.body.MarshalJSON() }

// Schema documents an apiError as the ErrorBody it writes (huma describes error answers with
// the type its NewError returns).
func (e *apiError) Schema(r huma.Registry) *huma.Schema {
	return r.Schema(reflect.TypeFor[ErrorBody](), true, "")
}

// toAPIError maps any error to its answer. Unrecognised errors are 500s with a generic
// message; their cause goes to the log under the request id, never to the client.
func toAPIError(logger *slog.Logger, requestID string, err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var fe *fieldwork.Error
	if !errors.As(err, &fe) || fe.Code == fieldwork.EINTERNAL {
		failed := "sys-045"
		if fe != nil && fe.FailedCode != "" {
			failed = fe.FailedCode
		}
		logger.Error("internal error", "requestId", requestID, "error", err)
		msg := "Internal server error"
		if fe != nil && fe.FailedCode == "activ-036" {
			msg = fe.Message
		}
		return &apiError{status: http.StatusInternalServerError, body: &ErrorBody{
			Code: http.StatusInternalServerError, Message: msg, FailedCode: failed, RequestID: requestID}}
	}
	status, ok := statusOf[fe.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	body := &ErrorBody{Code: status, Message: fe.Message, FailedCode: fe.FailedCode, extra: fe.Extra}
	for _, f := range fe.Fields {
		body.Errors = append(body.Errors, f.String())
		body.FieldErrors = append(body.FieldErrors, f)
	}
	return &apiError{status: status, body: body}
}

// writeError writes err as the error envelope outside huma (middleware answers).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(s.Logger, requestIDFrom(r.Context()), err)
	writeJSON(w, ae.status, ae)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"status":false,"code":500,"message":"Internal server error","failedCode":"sys-045"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Huma reports its own failures (unreadable or oversized bodies, unacceptable Accept) through
// NewErrorWithContext; they get our envelope and our status choices (400, not 422).
func init() {
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		reqID := ""
		if hctx != nil {
			reqID = requestIDFrom(hctx.Context())
		}
		var fe *fieldwork.Error
		switch {
		case status == http.StatusRequestEntityTooLarge:
			fe = &fieldwork.Error{Code: fieldwork.ETOOLARGE, FailedCode: "req-040", Message: "The request body is too large"}
		case status == http.StatusNotAcceptable:
			fe = &fieldwork.Error{Code: codeNotAcceptable, FailedCode: "req-047", Message: "Only application/json responses are available"}
		case status >= 500:
			fe = &fieldwork.Error{Code: fieldwork.EINTERNAL, FailedCode: "sys-045", Message: msg}
			return toAPIError(slog.Default(), reqID, errors.Join(append([]error{fe}, errs...)...))
		default:
			fe = &fieldwork.Error{Code: fieldwork.EINVALID, FailedCode: "req-013", Message: "The request could not be read: " + msg}
		}
		return toAPIError(slog.Default(), reqID, fe)
	}
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return huma.NewErrorWithContext(nil, status, msg, errs...)
	}
}
