package fieldwork

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes: the kind of failure, which the HTTP layer maps to a status in one table.
const (
	EINVALID      = "invalid"      // 400
	EUNAUTHORIZED = "unauthorized" // 401
	EFORBIDDEN    = "forbidden"    // 403
	ENOTFOUND     = "not_found"    // 404
	ECONFLICT     = "conflict"     // 409
	EPRECONDITION = "precondition" // 412
	ETOOLARGE     = "too_large"    // 413
	ERATELIMIT    = "rate_limit"   // 429
	EINTERNAL     = "internal"     // 500
)

// FieldError is one problem with one field of a request, addressed by its path
// (`steps[0].flowId`, `tasks[1].recipientName`).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// String renders the problem as the API's `errors` strings do: "path: message".
func (f FieldError) String() string {
	if f.Field == "" {
		return f.Message
	}
	return f.Field + ": " + f.Message
}

// Error is a failure the API reports to its caller: Code selects the HTTP status, FailedCode is
// the stable catalog code (SPEC §11), Message the human text, Fields the per-field problems.
type Error struct {
	Code       string
	FailedCode string
	Message    string
	Fields     []FieldError
	// Extra holds additional top-level keys of the error envelope (e.g. `usage`).
	Extra map[string]any
	// Cause is the underlying failure of an internal error: logged, never sent.
	Cause error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("fieldwork error: code=%s failedCode=%s message=%s", e.Code, e.FailedCode, e.Message)
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error with the given code, failedCode and formatted message.
func Errorf(code, failedCode, format string, args ...any) *Error {
	return &Error{Code: code, FailedCode: failedCode, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a 400-class error listing field problems; its message is the first problem.
func Invalid(failedCode string, fields ...FieldError) *Error {
	e := &Error{Code: EINVALID, FailedCode: failedCode, Fields: fields, Message: "The given data was invalid."}
	if len(fields) > 0 {
		e.Message = fields[0].String()
	}
	return e
}

// InvalidField is Invalid with a single field problem.
func InvalidField(failedCode, field, format string, args ...any) *Error {
	return Invalid(failedCode, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// NotFound returns a not-found error with the given failedCode and message.
func NotFound(failedCode, message string) *Error {
	return &Error{Code: ENOTFOUND, FailedCode: failedCode, Message: message}
}

// Standard messages shared by many answers.
const (
	MsgNotFound     = "Data not found"
	MsgUnauthorized = "Unauthorized"
	MsgForbidden    = "You do not have permission to perform this action"
)

// ErrUnauthorized is returned for a missing, unknown, expired or revoked token.
func ErrUnauthorized() *Error {
	return &Error{Code: EUNAUTHORIZED, FailedCode: "auth-001", Message: MsgUnauthorized}
}

// ErrForbidden is returned when the caller's role lacks a permission.
func ErrForbidden() *Error {
	return &Error{Code: EFORBIDDEN, FailedCode: "auth-003", Message: MsgForbidden}
}

// ErrorCode returns the code of the *Error in err's chain, EINTERNAL for any other error and ""
// for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// FieldErrors collects field problems in order, to be returned together.
type FieldErrors []FieldError

// Add appends a problem.
func (fe *FieldErrors) Add(field, format string, args ...any) {
	*fe = append(*fe, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when no problem was added, else Invalid(failedCode, problems...).
func (fe FieldErrors) Err(failedCode string) error {
	if len(fe) == 0 {
		return nil
	}
	return Invalid(failedCode, fe...)
}

// Path joins a field path: Path("tasks", 1, "title") == "tasks[1].title".
func Path(parts ...any) string {
	var b strings.Builder
	for _, p := range parts {
		switch v := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		case string:
			if v == "" {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		}
	}
	return b.String()
}

// Wrap prefixes a non-*Error error with context; *Error values pass through unchanged so
// their code survives.
func Wrap(err *error, format string, args ...any) {
	if *err == nil {
		return
	}
	var e *Error
	if errors.As(*err, &e) {
		return
	}
	*err = fmt.Errorf(format+": %w", append(args, *err)...)
}
