// Package dispatch delivers webhook events (SPEC §9) from inside the server process.
//
// A Dispatcher polls the delivery queue that the transactional outbox fills (a change and its
// deliveries commit together), claims due deliveries for a lease, POSTs each to its webhook and
// hands the result back to the Service, which logs the attempt and decides what comes next
// (delivered, retried with backoff, or given up after 24 h). Any number of dispatchers, in one
// process or in several instances on one database, may run at once:
//
//   - A claim takes a delivery for a lease (the attempt timeout plus a margin): no other claim
//     takes it before the lease ends, so each attempt is made by one dispatcher only.
//   - A result is kept only if its claim still holds the delivery.
//   - A dispatcher that dies mid-attempt (a crash, a kill) leaves its deliveries leased; they
//     are due again when the lease ends, and another dispatcher, or the restarted one, makes
//     them. Nothing is lost between commit and delivery: delivery is at least once, and
//     receivers de-duplicate by the Fieldwork-Event-Id header.
//
// The dispatcher holds no rule of its own: what to send (fieldwork.WebhookPayload), how to sign
// it (fieldwork.WebhookSignature) and what an answer means (Service.RecordDeliveryAttempt) live
// in the domain.
package dispatch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fieldwork-dev/fieldwork"
)

// Defaults of Config.
const (
	DefaultWorkers = 8
	DefaultMinPoll = 200 * time.Millisecond
	DefaultMaxPoll = time.Second
	// DefaultLeaseMargin is added to the attempt timeout to make the lease: time to record the
	// result after the receiver's answer.
	DefaultLeaseMargin = 30 * time.Second
)

// Config tunes a Dispatcher; zero fields take the defaults.
type Config struct {
	// Workers is how many attempts run at once (DefaultWorkers).
	Workers int
	// Timeout is how long a receiver has to answer (fieldwork.WebhookTimeout).
	Timeout time.Duration
	// Lease is how long a claim holds a delivery (Timeout + DefaultLeaseMargin when not longer
	// than Timeout). It must outlast an attempt, or a second dispatcher could make the same
	// attempt again.
	Lease time.Duration
	// MinPoll is the pause between polls while there is work (DefaultMinPoll); without work
	// the pause doubles up to MaxPoll (DefaultMaxPoll).
	MinPoll, MaxPoll time.Duration
	// Client sends the requests. The default follows no redirect (a 3xx is a failed attempt)
	// and takes proxies from the environment.
	Client *http.Client
	Logger *slog.Logger
}

// Dispatcher delivers the webhook events of every organization of a Service's store.
type Dispatcher struct {
	svc *fieldwork.Service
	cfg Config
	log *slog.Logger

	outcomes *prometheus.CounterVec
	depth    prometheus.Collector

	mu       sync.Mutex
	running  bool
	cancel   context.CancelFunc // stops the poll loop
	abort    context.CancelFunc // aborts attempts in flight
	loopDone chan struct{}
	inFlight sync.WaitGroup
	free     chan struct{} // one token per idle worker
}

// New returns a dispatcher for the service; Start starts it.
func New(svc *fieldwork.Service, cfg Config) *Dispatcher {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = fieldwork.WebhookTimeout
	}
	if cfg.Lease <= cfg.Timeout {
		cfg.Lease = cfg.Timeout + DefaultLeaseMargin
	}
	if cfg.MinPoll <= 0 {
		cfg.MinPoll = DefaultMinPoll
	}
	if cfg.MaxPoll < cfg.MinPoll {
		cfg.MaxPoll = max(DefaultMaxPoll, cfg.MinPoll)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{
			Transport:     http.DefaultTransport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	d := &Dispatcher{svc: svc, cfg: cfg, log: cfg.Logger,
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fieldwork_webhook_deliveries_total",
			Help: "Webhook delivery attempts made by this process, by outcome: success (2xx), failure (to be retried), gave_up (the 24 h retry window is over).",
		}, []string{"outcome"}),
	}
	for _, o := range []string{fieldwork.OutcomeSuccess, fieldwork.OutcomeFailure, fieldwork.OutcomeGaveUp} {
		d.outcomes.WithLabelValues(o) // export zeros before the first attempt
	}
	d.depth = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "fieldwork_webhook_queue_depth",
		Help: "Webhook deliveries pending (due, leased or waiting to be retried) in every organization of the database.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n, err := svc.CountPendingDeliveries(ctx)
		if err != nil {
			d.log.Warn("webhook queue depth", "error", err)
			return math.NaN()
		}
		return float64(n)
	})
	return d
}

// Collectors returns the dispatcher's metrics: fieldwork_webhook_deliveries_total{outcome} and
// fieldwork_webhook_queue_depth.
func (d *Dispatcher) Collectors() []prometheus.Collector {
	return []prometheus.Collector{d.outcomes, d.depth}
}

// Start starts polling in the background. It does nothing if the dispatcher runs already.
func (d *Dispatcher) Start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running {
		return
	}
	d.running = true
	var loopCtx, attemptCtx context.Context
	loopCtx, d.cancel = context.WithCancel(context.Background())
	attemptCtx, d.abort = context.WithCancel(context.Background())
	d.free = make(chan struct{}, d.cfg.Workers)
	for range d.cfg.Workers {
		d.free <- struct{}{}
	}
	d.loopDone = make(chan struct{})
	go d.loop(loopCtx, attemptCtx)
}

// Stop stops claiming, lets the attempts in flight finish until ctx is done, then aborts the
// rest and gives their deliveries back (due at once, for any instance). Call it before the
// store closes.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.mu.Lock()
	if !d.running {
		d.mu.Unlock()
		return nil
	}
	d.running = false
	d.mu.Unlock()
	d.cancel()
	<-d.loopDone
	finished := make(chan struct{})
	go func() {
		d.inFlight.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		d.abort()
		return nil
	case <-ctx.Done():
		d.abort()
		<-finished
		return nil
	}
}

// loop polls until ctx is done: as long as there is work it polls again as soon as a worker is
// free; without work it waits, twice as long each time, up to MaxPoll.
func (d *Dispatcher) loop(ctx, attemptCtx context.Context) {
	defer close(d.loopDone)
	pause := d.cfg.MinPoll
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		wait := time.Duration(0)
		if d.poll(ctx, attemptCtx) {
			pause = d.cfg.MinPoll
			// While there is work, poll again as soon as a worker is free, not after a pause:
			// with a pause one process delivered at most Workers per MinPoll (40 a second by
			// default), and under a steadier stream of events the queue only grew.
			select {
			case <-ctx.Done():
				return
			case tok := <-d.free:
				d.free <- tok
			}
		} else {
			pause = min(pause*2, d.cfg.MaxPoll)
			wait = pause
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// poll claims as many due deliveries as there are free workers and starts their attempts. It
// reports whether it found work.
func (d *Dispatcher) poll(ctx, attemptCtx context.Context) bool {
	free := len(d.free)
	if free == 0 {
		return true // every worker is busy: look again soon
	}
	orgs, err := d.svc.DueDeliveryOrganizations(ctx, 10*d.cfg.Workers)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("webhooks: reading the delivery queue", "error", err)
		}
		return false
	}
	found := false
	for _, org := range orgs {
		if free = len(d.free); free == 0 {
			break
		}
		jobs, err := d.svc.ClaimDeliveries(ctx, org, free, d.cfg.Lease)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error("webhooks: claiming deliveries", "organization", org, "error", err)
			}
			continue
		}
		for _, job := range jobs {
			found = true
			<-d.free
			d.inFlight.Add(1)
			go func() {
				defer func() {
					d.free <- struct{}{}
					d.inFlight.Done()
				}()
				d.attempt(attemptCtx, job)
			}()
		}
	}
	return found
}

// maxAnswer is how much of a receiver's answer is read (and discarded) so the connection can
// be reused.
const maxAnswer = 64 << 10

// attempt makes one delivery attempt and records its result. ctx is cancelled only when Stop
// gives up waiting: the delivery is then given back, not counted as an attempt.
func (d *Dispatcher) attempt(ctx context.Context, job *fieldwork.DeliveryJob) {
	start := d.svc.Clock.Now()
	began := time.Now()
	res := d.send(ctx, job, start)
	res.Duration = time.Since(began)
	// Record with a context of its own: a result that came in must be kept even while the
	// dispatcher stops.
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ctx.Err() != nil && !res.Succeeded() {
		if err := d.svc.ReleaseDelivery(rctx, job); err != nil {
			d.log.Warn("webhooks: giving a delivery back", "organization", job.OrganizationID, "webhook", job.Webhook.ID, "error", err)
		}
		return
	}
	a, err := d.svc.RecordDeliveryAttempt(rctx, job, res)
	if err != nil {
		d.log.Warn("webhooks: result of an attempt not recorded", "organization", job.OrganizationID,
			"webhook", job.Webhook.ID, "event", job.Event.ID, "error", err)
		return
	}
	d.outcomes.WithLabelValues(a.Outcome).Inc()
	level := slog.LevelInfo
	if a.Outcome != fieldwork.OutcomeSuccess {
		level = slog.LevelWarn
	}
	d.log.Log(rctx, level, "webhook delivery", "organization", job.OrganizationID, "webhook", job.Webhook.ID,
		"event", job.Event.ID, "type", job.Event.Type, "attempt", a.Attempt, "status", res.StatusCode,
		"outcome", a.Outcome, "error", res.Err, "duration", res.Duration)
}

// send POSTs the event to the webhook, signed at t, and returns what came back.
func (d *Dispatcher) send(ctx context.Context, job *fieldwork.DeliveryJob, t time.Time) fieldwork.DeliveryResult {
	res := fieldwork.DeliveryResult{Time: t}
	body, err := fieldwork.WebhookPayload(job.Webhook, job.Event)
	if err != nil {
		res.Err = "encoding the body: " + err.Error()
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		res.Err = "building the request: " + err.Error()
		return res
	}
	req.Header.Set("User-Agent", "Fieldwork-Webhooks/1")
	for name, value := range job.Webhook.Headers {
		req.Header.Set(name, value)
	}
	// Set last: the webhook's own headers cannot replace these (validation refuses them too).
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(fieldwork.HeaderEventID, job.Event.ID)
	req.Header.Set(fieldwork.HeaderEventType, job.Event.Type)
	if job.Webhook.Secret != "" {
		req.Header.Set(fieldwork.HeaderSignature, fieldwork.WebhookSignature(job.Webhook.Secret, t, body))
	}
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			res.Err = "no answer within " + d.cfg.Timeout.String()
		default:
			res.Err = err.Error()
		}
		return res
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	res.StatusCode = resp.StatusCode
	if !res.Succeeded() {
		res.Err = "the receiver answered " + strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode) + "; a 2xx answer is required"
	}
	return res
}
