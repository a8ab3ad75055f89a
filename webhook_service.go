package fieldwork

import (
	"context"
	"fmt"
	"maps"
	"time"
)

// errWebhookNotFound is what a webhook outside the caller's organization looks like.
var errWebhookNotFound = NotFound(webhookNotFoundCode, MsgNotFound)

// ErrDeliveryNotHeld is returned by Tx.CompleteDelivery when the claim no longer holds the
// delivery (its lease ran out and another claim took it, or its webhook was deleted). It never
// reaches a client.
func ErrDeliveryNotHeld() *Error {
	return &Error{Code: ECONFLICT, Message: "the delivery is no longer held by this claim"}
}

// requireWebhookAdmin allows Owners and Admins who see every hub: a webhook receives the tasks
// of all hubs, so a hub-restricted user may not configure one (decided, as for GET /events).
func requireWebhookAdmin(c *Caller) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	if len(c.User.HubID) > 0 {
		return ErrForbidden()
	}
	return nil
}

// FindWebhooks lists the organization's webhooks, oldest first.
func (s *Service) FindWebhooks(ctx context.Context, c *Caller) ([]*Webhook, error) {
	if err := requireWebhookAdmin(c); err != nil {
		return nil, err
	}
	var hooks []*Webhook
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		hooks, err = tx.FindWebhooks(ctx)
		return err
	})
	if hooks == nil {
		hooks = []*Webhook{}
	}
	return hooks, err
}

// FindWebhook returns one webhook.
func (s *Service) FindWebhook(ctx context.Context, c *Caller, id ID) (*Webhook, error) {
	if err := requireWebhookAdmin(c); err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, errWebhookNotFound
	}
	var w *Webhook
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		w, err = tx.FindWebhookByID(ctx, id)
		return err
	})
	return w, err
}

// applyWebhook sets the fields of a validated body: headers and format take their defaults when
// not sent; the secret is kept when not sent and removed when empty.
func applyWebhook(w *Webhook, in WebhookInput, events []string) {
	w.URL = *in.URL
	w.Events = events
	w.Headers = map[string]string{}
	maps.Copy(w.Headers, in.Headers)
	w.Format = WebhookFormatEnvelope
	if in.Format != nil {
		w.Format = *in.Format
	}
	if in.Secret != nil {
		w.Secret = *in.Secret
	}
	w.HasSecret = w.Secret != ""
}

// CreateWebhook creates a webhook (Owner/Admin); an organization has at most MaxWebhooks.
func (s *Service) CreateWebhook(ctx context.Context, c *Caller, in WebhookInput) (*Webhook, error) {
	if err := requireWebhookAdmin(c); err != nil {
		return nil, err
	}
	events, err := validateWebhook(in)
	if err != nil {
		return nil, err
	}
	now := s.now()
	w := &Webhook{ID: NewID(now), OrganizationID: c.OrgID(), Version: 1, CreatedBy: c.User.Email,
		UpdatedBy: c.User.Email, CreatedTime: NewTime(now), UpdatedTime: NewTime(now)}
	applyWebhook(w, in, events)
	err = s.update(ctx, c.OrgID(), func(tx Tx) error {
		hooks, err := tx.FindWebhooks(ctx)
		if err != nil {
			return err
		}
		if len(hooks) >= MaxWebhooks {
			return Errorf(EINVALID, webhookInvalidCode, "An organization may have at most %d webhooks", MaxWebhooks)
		}
		return tx.CreateWebhook(ctx, w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// UpdateWebhook replaces a webhook's url, events, headers and format (PUT), and its secret
// when one is sent. ifMatch, when not nil, must equal its version. Deliveries already owed keep
// being made, to the webhook as it is at each attempt.
func (s *Service) UpdateWebhook(ctx context.Context, c *Caller, id ID, in WebhookInput, ifMatch *int) (*Webhook, error) {
	if err := requireWebhookAdmin(c); err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, errWebhookNotFound
	}
	events, err := validateWebhook(in)
	if err != nil {
		return nil, err
	}
	var w *Webhook
	err = s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		if w, err = tx.FindWebhookByID(ctx, id); err != nil {
			return err
		}
		if err := checkVersion(w.Version, ifMatch); err != nil {
			return err
		}
		applyWebhook(w, in, events)
		w.Version++
		w.UpdatedBy = c.User.Email
		w.UpdatedTime = NewTime(s.now())
		return tx.UpdateWebhook(ctx, w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// DeleteWebhook deletes a webhook with its pending deliveries and its attempt log, and
// returns it as it was.
func (s *Service) DeleteWebhook(ctx context.Context, c *Caller, id ID, ifMatch *int) (*Webhook, error) {
	if err := requireWebhookAdmin(c); err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, errWebhookNotFound
	}
	var w *Webhook
	err := s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		if w, err = tx.FindWebhookByID(ctx, id); err != nil {
			return err
		}
		if err := checkVersion(w.Version, ifMatch); err != nil {
			return err
		}
		return tx.DeleteWebhook(ctx, id)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// FindWebhookDeliveries returns a page of a webhook's logged attempts, newest first, and how
// many there are.
func (s *Service) FindWebhookDeliveries(ctx context.Context, c *Caller, id ID, offset, limit int) ([]*DeliveryAttempt, int, error) {
	if err := requireWebhookAdmin(c); err != nil {
		return nil, 0, err
	}
	if !ValidID(id) {
		return nil, 0, errWebhookNotFound
	}
	var attempts []*DeliveryAttempt
	var total int
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		if _, err := tx.FindWebhookByID(ctx, id); err != nil {
			return err
		}
		attempts, total, err = tx.FindDeliveryAttempts(ctx, id, offset, limit)
		return err
	})
	return attempts, total, err
}

// The delivery side (SPEC §9), used by the dispatcher (package dispatch). The dispatcher runs
// no rule of its own: it asks which organizations have due deliveries, claims some, makes the
// HTTP requests and hands each result back here.

// DueDeliveryOrganizations returns up to limit organizations with deliveries due now.
func (s *Service) DueDeliveryOrganizations(ctx context.Context, limit int) ([]ID, error) {
	return s.Store.FindDueDeliveryOrganizations(ctx, s.now(), limit)
}

// CountPendingDeliveries counts the deliveries not yet delivered nor given up, in every
// organization (the queue depth metric).
func (s *Service) CountPendingDeliveries(ctx context.Context) (int, error) {
	return s.Store.CountPendingDeliveries(ctx)
}

// ClaimDeliveries claims up to limit due deliveries of the organization for lease (at least the
// attempt's timeout): until it ends no other claim, in this process or another, takes them;
// when the claimer dies they are due again once it has. Each job carries its webhook and event
// as they are now. A delivery whose event or webhook is gone is given up in the same
// transaction instead.
func (s *Service) ClaimDeliveries(ctx context.Context, orgID ID, limit int, lease time.Duration) ([]*DeliveryJob, error) {
	var jobs []*DeliveryJob
	err := s.Store.Update(ctx, orgID, func(tx Tx) error {
		jobs = nil // the store may run fn again
		now := s.now()
		token := NewID(now) + NewTokenSecret()[:8]
		ds, err := tx.ClaimDeliveries(ctx, now, now.Add(lease), token, limit)
		if err != nil {
			return err
		}
		hooks := map[ID]*Webhook{}
		for _, d := range ds {
			w, ok := hooks[d.WebhookID]
			if !ok {
				if w, err = tx.FindWebhookByID(ctx, d.WebhookID); err != nil && ErrorCode(err) != ENOTFOUND {
					return err
				}
				hooks[d.WebhookID] = w
			}
			e, err := tx.FindEvent(ctx, d.EventSequence)
			if err != nil && ErrorCode(err) != ENOTFOUND {
				return err
			}
			if w == nil || e == nil {
				if err := s.giveUpMissing(ctx, tx, d, token, e); err != nil {
					return err
				}
				continue
			}
			jobs = append(jobs, &DeliveryJob{OrganizationID: orgID, Delivery: d, Webhook: w, Event: e, Lease: token})
		}
		return nil
	})
	return jobs, err
}

// giveUpMissing ends a delivery whose webhook or event no longer exists (an operator may purge
// old events): it can never be made.
func (s *Service) giveUpMissing(ctx context.Context, tx Tx, d *Delivery, lease string, e *Event) error {
	now := s.now()
	msg := "the event is no longer stored"
	a := &DeliveryAttempt{ID: NewID(now), WebhookID: d.WebhookID, EventSequence: d.EventSequence,
		Attempt: d.Attempts + 1, AttemptTime: NewTime(now), Error: &msg, Outcome: OutcomeGaveUp}
	if e != nil {
		a.EventID, a.EventType = e.ID, e.Type
	}
	d.State, d.Attempts = DeliveryFailed, d.Attempts+1
	if d.FirstAttemptTime.IsZero() {
		d.FirstAttemptTime = now
	}
	return tx.CompleteDelivery(ctx, d, lease, a)
}

// RecordDeliveryAttempt applies the result of an attempt to its delivery: a 2xx delivers it;
// a failure schedules the next attempt (NextDeliveryAttempt) or, once the retry window is over,
// gives the delivery up. The attempt is logged with the delivery's new state in one
// transaction, if the job's claim still holds the delivery (else ErrDeliveryNotHeld: the
// result is dropped, another claim owns the delivery now).
func (s *Service) RecordDeliveryAttempt(ctx context.Context, job *DeliveryJob, r DeliveryResult) (*DeliveryAttempt, error) {
	d := *job.Delivery
	d.Attempts++
	if d.FirstAttemptTime.IsZero() {
		d.FirstAttemptTime = r.Time
	}
	a := &DeliveryAttempt{ID: NewID(r.Time), WebhookID: d.WebhookID, EventID: job.Event.ID,
		EventType: job.Event.Type, EventSequence: d.EventSequence, Attempt: d.Attempts,
		AttemptTime: NewTime(r.Time), DurationMS: r.Duration.Milliseconds()}
	if r.StatusCode != 0 {
		a.StatusCode = ptr(r.StatusCode)
	}
	if r.Succeeded() {
		d.State, a.Outcome = DeliveryDelivered, OutcomeSuccess
		d.NextAttemptTime = r.Time
	} else {
		msg := r.Err
		if msg == "" {
			msg = fmt.Sprintf("the receiver answered %d; a 2xx answer is required", r.StatusCode)
		}
		a.Error = &msg
		if next, ok := NextDeliveryAttempt(d.FirstAttemptTime, r.Time, d.Attempts); ok {
			d.NextAttemptTime, a.NextRetryTime, a.Outcome = next, NewTime(next), OutcomeFailure
		} else {
			d.State, a.Outcome = DeliveryFailed, OutcomeGaveUp
			d.NextAttemptTime = r.Time
		}
	}
	err := s.Store.Update(ctx, job.OrganizationID, func(tx Tx) error {
		return tx.CompleteDelivery(ctx, &d, job.Lease, a)
	})
	if err != nil {
		return nil, err
	}
	*job.Delivery = d
	return a, nil
}

// ReleaseDelivery gives a claimed delivery back without an attempt (the dispatcher is stopping):
// it is due again at once, for any instance.
func (s *Service) ReleaseDelivery(ctx context.Context, job *DeliveryJob) error {
	return s.Store.Update(ctx, job.OrganizationID, func(tx Tx) error {
		return tx.ReleaseDelivery(ctx, job.Delivery, job.Lease, s.now())
	})
}
