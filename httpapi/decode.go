package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/fieldwork-dev/fieldwork"
)

var errMalformed = &fieldwork.Error{Code: fieldwork.EINVALID, FailedCode: "req-013", Message: "The request body must be a JSON object"}

// rawObject checks that body is one JSON object (an empty body counts as {}) and returns it.
func rawObject(body []byte) ([]byte, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return []byte("{}"), nil
	}
	if body[0] != '{' || !json.Valid(body) {
		return nil, errMalformed
	}
	if hasNUL(body) {
		return nil, errNUL
	}
	return body, nil
}

// errNUL refuses the NUL character: PostgreSQL cannot store it in text or JSONB, so both
// engines refuse it at the door and behave alike.
var errNUL = &fieldwork.Error{Code: fieldwork.EINVALID, FailedCode: "req-013", Message: `Strings must not contain the NUL character (\u0000)`}

// hasNUL reports whether a valid JSON text holds a \u0000 escape inside a string (a raw NUL
// byte is invalid JSON already).
func hasNUL(b []byte) bool {
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(b):
			if b[i+1] == 'u' && i+5 < len(b) && string(b[i+2:i+6]) == "0000" {
				return true
			}
			i++ // skip the escaped character
		}
	}
	return false
}

// decodeObject decodes a JSON object body into dst. strict rejects keys dst does not know
// (fixed-shape objects). Type errors become field errors under failedCode.
func decodeObject(body []byte, dst any, failedCode string, strict bool) error {
	body, err := rawObject(body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, failedCode)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errMalformed
	}
	return nil
}

func decodeError(err error, failedCode string) error {
	var te *json.UnmarshalTypeError
	var fe *fieldwork.Error
	switch {
	case errors.As(err, &fe):
		return fe
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return errMalformed
		}
		return fieldwork.InvalidField(failedCode, field, "must be %s", jsonKind(te.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldwork.InvalidField(failedCode, field, "is not allowed")
	}
	return errMalformed
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	if strings.HasPrefix(goKind, "int") || strings.HasPrefix(goKind, "uint") || strings.HasPrefix(goKind, "float") {
		return "a number"
	}
	return "of another type"
}

// flexFloat is a number that also accepts a numeric string (hub coordinates).
type flexFloat float64

// UnmarshalJSON accepts 1.5 and "1.5".
func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "string", Type: reflect.TypeFor[float64]()}
	}
	*f = flexFloat(v)
	return nil
}

func (f *flexFloat) ptr() *float64 {
	if f == nil {
		return nil
	}
	v := float64(*f)
	return &v
}
