package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/fieldwork-dev/fieldwork"
)

// eventRoutes registers GET /events (SPEC §8).
func (s *Server) eventRoutes() {
	handle(s, op("GET", "/events", "listEvents", "Events"), s.listEvents)
}

type eventList struct {
	After string `query:"after" doc:"Return the events with a sequence greater than this (default 0)"`
	Limit string `query:"limit" doc:"At most this many events, 1 to 1000 (default 100)"`
}

// EventsBody answers GET /events: a page of the outbox in sequence order, and the `after` to
// send for the next page.
type EventsBody struct {
	Envelope
	Data []*fieldwork.Event `json:"data"`
	// NextAfter is the sequence of the page's last event, or the `after` sent when the page
	// is empty: a client stores it and sends it back as `after` to continue without gaps.
	NextAfter int64 `json:"next_after"`
}

func (s *Server) listEvents(ctx context.Context, c *fieldwork.Caller, in *eventList) (*Out[EventsBody], error) {
	var fe fieldwork.FieldErrors
	after, limit := int64(0), fieldwork.DefaultEventLimit
	if in.After != "" {
		n, err := strconv.ParseInt(in.After, 10, 64)
		if err != nil || n < 0 {
			fe.Add("after", "must be a sequence number (an integer of at least 0)")
		}
		after = max(n, 0)
	}
	if in.Limit != "" {
		n, err := strconv.Atoi(in.Limit)
		if err != nil || n < 1 || n > fieldwork.MaxEventLimit {
			fe.Add("limit", "must be an integer from 1 to %d", fieldwork.MaxEventLimit)
			n = fieldwork.DefaultEventLimit
		}
		limit = n
	}
	if err := fe.Err("event-032"); err != nil {
		return nil, err
	}
	events, err := s.Service.FindEvents(ctx, c, after, limit)
	if err != nil {
		return nil, err
	}
	next := after
	if len(events) > 0 {
		next = events[len(events)-1].Sequence
	}
	return reply(http.StatusOK, EventsBody{envelope(200, msgSuccess), events, next}), nil
}
