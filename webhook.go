package fieldwork

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook body formats (SPEC §9).
const (
	// WebhookFormatEnvelope sends {id, type, occurredTime, organizationId, data} (the default).
	WebhookFormatEnvelope = "envelope"
	// WebhookFormatMileApp sends the bare task (the master for activity.* events), as the
	// official webhooks do.
	WebhookFormatMileApp = "mileapp"
)

// EventAliases maps the official MileApp event names, accepted on input, to the canonical
// types they are stored as (SPEC §9).
var EventAliases = map[string]string{
	"onTaskCreated":  EventTaskCreated,
	"onTaskAssigned": EventTaskAssigned,
	"onTaskFinished": EventTaskDone,
}

// Headers of a delivery (SPEC §9). A webhook's own headers may not replace them.
const (
	HeaderEventID   = "Fieldwork-Event-Id"
	HeaderEventType = "Fieldwork-Event-Type"
	HeaderSignature = "Fieldwork-Signature"
)

// Delivery schedule (SPEC §9): an attempt must be answered with a 2xx within WebhookTimeout;
// a failed one is retried after WebhookFirstBackoff, doubling up to WebhookMaxBackoff, until
// WebhookRetryWindow has passed since the first attempt; then the delivery is given up.
const (
	WebhookTimeout      = 30 * time.Second
	WebhookFirstBackoff = 10 * time.Second
	WebhookMaxBackoff   = time.Hour
	WebhookRetryWindow  = 24 * time.Hour
)

// MaxWebhooks is how many webhooks one organization may have (decided): every event of the
// organization is matched against them in the transaction of its change.
const MaxWebhooks = 100

// Webhook is an HTTP endpoint that receives the organization's events of the chosen types
// (SPEC §9).
type Webhook struct {
	ID             ID     `json:"_id"`
	OrganizationID ID     `json:"organizationId"`
	URL            string `json:"url"`
	// Events are canonical event types (aliases are translated on input), without repeats.
	Events []string `json:"events"`
	// Headers are sent with every delivery, beside the Fieldwork-* ones.
	Headers map[string]string `json:"headers"`
	Format  string            `json:"format" enum:"envelope,mileapp"`
	// Secret signs the deliveries. It is stored but never sent back: HasSecret says whether
	// there is one.
	Secret      string `json:"-"`
	HasSecret   bool   `json:"hasSecret"`
	Version     int    `json:"version"`
	CreatedBy   string `json:"createdBy"`
	UpdatedBy   string `json:"updatedBy"`
	CreatedTime Time   `json:"createdTime"`
	UpdatedTime Time   `json:"updatedTime"`
}

// Subscribes reports whether the webhook receives events of the type.
func (w *Webhook) Subscribes(eventType string) bool { return slices.Contains(w.Events, eventType) }

// WebhookInput is a create or replace body of a webhook; nil fields were not sent. A nil
// Secret keeps the stored secret; an empty one removes it.
type WebhookInput struct {
	URL     *string
	Events  []string
	Secret  *string
	Headers map[string]string
	Format  *string
}

// Limits of a webhook's fields (decided).
const (
	maxWebhookURL       = 2048
	maxWebhookSecret    = 255
	maxWebhookHeaders   = 50
	maxHeaderNameLen    = 100
	maxHeaderValueLen   = 1000
	webhookInvalidCode  = "webhk-032"
	webhookNotFoundCode = "webhk-033"
)

// reservedHeaders are the request headers a webhook's own headers may not set: the body's type
// and the Fieldwork-* headers (SPEC §9), and those the HTTP client itself must control.
var reservedHeaders = []string{"Content-Type", "Content-Length", "Transfer-Encoding", "Host", "Connection"}

// validateWebhook checks every field of a create or replace body (url and events are
// required) and returns the canonical event types.
func validateWebhook(in WebhookInput) ([]string, error) {
	var fe FieldErrors
	if in.URL == nil {
		fe.Add("url", "is required")
	} else {
		*in.URL = strings.TrimSpace(*in.URL)
		if !validWebhookURL(*in.URL) {
			fe.Add("url", "must be an absolute http or https URL of at most %d characters", maxWebhookURL)
		}
	}
	var events []string
	if in.Events == nil {
		fe.Add("events", "is required")
	} else if len(in.Events) == 0 {
		fe.Add("events", "must name at least one event type")
	}
	for i, name := range in.Events {
		typ, ok := CanonicalEventType(name)
		if !ok {
			fe.Add(Path("events", i), "must be one of %s or an official alias (%s)",
				strings.Join(EventTypes, ", "), "onTaskCreated, onTaskAssigned, onTaskFinished")
			continue
		}
		if !slices.Contains(events, typ) {
			events = append(events, typ)
		}
	}
	if in.Secret != nil && (len(*in.Secret) > maxWebhookSecret || hasControl(*in.Secret)) {
		fe.Add("secret", "must be at most %d characters, without control characters", maxWebhookSecret)
	}
	if len(in.Headers) > maxWebhookHeaders {
		fe.Add("headers", "must hold at most %d headers", maxWebhookHeaders)
	}
	seen := map[string]string{}
	for _, name := range sortedKeys(in.Headers) {
		field := Path("headers", name)
		canon := strings.ToLower(name)
		switch {
		case !validHeaderName(name):
			fe.Add(field, "must be a header name (letters, digits and !#$%%&'*+-.^_`|~, at most %d characters)", maxHeaderNameLen)
		case strings.HasPrefix(canon, "fieldwork-") || slices.ContainsFunc(reservedHeaders, func(h string) bool { return strings.EqualFold(h, name) }):
			fe.Add(field, "cannot replace the %s header: Content-Type, Content-Length, Transfer-Encoding, Host, Connection and Fieldwork-* are set by the server", name)
		case seen[canon] != "":
			fe.Add(field, "repeats the header %s (header names ignore case)", seen[canon])
		case !validHeaderValue(in.Headers[name]):
			fe.Add(field, "must be a header value of at most %d characters, without line breaks or control characters", maxHeaderValueLen)
		}
		seen[canon] = name
	}
	if in.Format != nil && *in.Format != WebhookFormatEnvelope && *in.Format != WebhookFormatMileApp {
		fe.Add("format", "must be %s or %s", WebhookFormatEnvelope, WebhookFormatMileApp)
	}
	return events, fe.Err(webhookInvalidCode)
}

// CanonicalEventType returns the event type a name stands for: itself when it is a type, the
// type of an official alias, or ok = false.
func CanonicalEventType(name string) (string, bool) {
	if slices.Contains(EventTypes, name) {
		return name, true
	}
	typ, ok := EventAliases[name]
	return typ, ok
}

func validWebhookURL(s string) bool {
	if s == "" || len(s) > maxWebhookURL || hasControl(s) || strings.ContainsAny(s, " \t") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" && u.Opaque == ""
}

// validHeaderName reports whether s is an HTTP field name (RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" || len(s) > maxHeaderNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s can be sent as a header value: no control character but
// the tab, no leading or trailing blank (which HTTP would strip).
func validHeaderValue(s string) bool {
	if len(s) > maxHeaderValueLen || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r != '\t' && (r < 0x20 || r == 0x7f) {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// WebhookEnvelope is the `envelope` body of a delivery (SPEC §9).
type WebhookEnvelope struct {
	ID             ID     `json:"id"`
	Type           string `json:"type"`
	OccurredTime   Time   `json:"occurredTime"`
	OrganizationID ID     `json:"organizationId"`
	Data           *Task  `json:"data"`
}

// WebhookPayload returns the body a webhook receives for an event: the envelope, or with the
// mileapp format the bare task (for activity.* events the event's task is the master).
func WebhookPayload(w *Webhook, e *Event) ([]byte, error) {
	if w.Format == WebhookFormatMileApp {
		return json.Marshal(e.Data)
	}
	return json.Marshal(WebhookEnvelope{ID: e.ID, Type: e.Type, OccurredTime: e.OccurredTime,
		OrganizationID: e.OrganizationID, Data: e.Data})
}

// WebhookSignature returns the Fieldwork-Signature header value of a body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>".
func WebhookSignature(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Delivery states.
const (
	DeliveryPending   = "pending"   // due at NextAttemptTime (or leased until then)
	DeliveryDelivered = "delivered" // a 2xx answer came
	DeliveryFailed    = "failed"    // given up after WebhookRetryWindow
)

// Delivery is one event owed to one webhook: created in the transaction of the change that
// made the event (so it exists exactly when the change committed), then attempted until it
// succeeds or is given up.
type Delivery struct {
	WebhookID     ID
	EventSequence int64
	State         string
	// Attempts counts the attempts made so far.
	Attempts int
	// NextAttemptTime is when the delivery is due; while a dispatcher holds it, the end of
	// that dispatcher's lease.
	NextAttemptTime time.Time
	// FirstAttemptTime is zero until the first attempt.
	FirstAttemptTime time.Time
	CreatedTime      time.Time
}

// Attempt outcomes, as logged and counted.
const (
	OutcomeSuccess = "success" // 2xx: delivered
	OutcomeFailure = "failure" // failed, to be retried at nextRetryTime
	OutcomeGaveUp  = "gave_up" // failed, and the retry window is over: the delivery failed
)

// DeliveryAttempt is one logged attempt of a delivery (GET /webhook/{id}/deliveries).
type DeliveryAttempt struct {
	ID            ID     `json:"_id"`
	WebhookID     ID     `json:"webhookId"`
	EventID       ID     `json:"eventId"`
	EventType     string `json:"eventType"`
	EventSequence int64  `json:"eventSequence"`
	// Attempt is 1 for the first attempt of this event to this webhook.
	Attempt     int  `json:"attempt"`
	AttemptTime Time `json:"attemptTime"`
	// StatusCode is the receiver's HTTP status; null when no answer came.
	StatusCode *int `json:"statusCode"`
	// Error says why the attempt failed; null on success.
	Error      *string `json:"error"`
	DurationMS int64   `json:"durationMs"`
	Outcome    string  `json:"outcome" enum:"success,failure,gave_up"`
	// NextRetryTime is when the next attempt is due; null unless the outcome is failure.
	NextRetryTime Time `json:"nextRetryTime"`
}

// NextDeliveryAttempt returns when to try again after the n-th attempt (n ≥ 1) of a delivery
// failed at `at`, the first attempt having been made at `first`: WebhookFirstBackoff doubled
// per earlier attempt, at most WebhookMaxBackoff, and never beyond the end of the retry window,
// where a last attempt is made. ok is false when the window is over: the delivery gives up.
func NextDeliveryAttempt(first, at time.Time, n int) (next time.Time, ok bool) {
	end := first.Add(WebhookRetryWindow)
	if !at.Before(end) {
		return time.Time{}, false
	}
	backoff := WebhookMaxBackoff
	if n >= 1 && n <= 20 {
		backoff = min(WebhookFirstBackoff<<(n-1), WebhookMaxBackoff)
	}
	next = at.Add(backoff)
	if next.After(end) {
		next = end
	}
	return next, true
}

// DeliveryJob is a claimed delivery with what its attempt needs. Lease identifies the claim:
// the attempt's result is kept only while the claim still holds the delivery.
type DeliveryJob struct {
	OrganizationID ID
	Delivery       *Delivery
	Webhook        *Webhook
	Event          *Event
	Lease          string
}

// DeliveryResult is what one attempt gave.
type DeliveryResult struct {
	// Time is when the attempt started (the signature's t).
	Time time.Time
	// StatusCode is the receiver's answer, 0 when none came.
	StatusCode int
	// Err describes a failure to get an answer ("" when one came).
	Err      string
	Duration time.Duration
}

// Succeeded reports whether the receiver accepted the delivery: a 2xx answer.
func (r DeliveryResult) Succeeded() bool {
	return r.Err == "" && r.StatusCode >= 200 && r.StatusCode <= 299
}
