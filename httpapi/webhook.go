package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/fieldwork-dev/fieldwork"
)

// webhookRoutes registers the webhook routes (SPEC §9).
func (s *Server) webhookRoutes() {
	handle(s, op("GET", "/webhooks", "listWebhooks", "Webhooks"), s.listWebhooks)
	handle(s, withBody[webhookBody](s, op("POST", "/webhook", "createWebhook", "Webhooks")), s.createWebhook)
	handle(s, op("GET", "/webhook/{id}", "getWebhook", "Webhooks"), s.getWebhook)
	handle(s, withBody[webhookBody](s, op("PUT", "/webhook/{id}", "replaceWebhook", "Webhooks")), s.putWebhook)
	handle(s, op("DELETE", "/webhook/{id}", "deleteWebhook", "Webhooks"), s.deleteWebhook)
	handle(s, op("GET", "/webhook/{id}/deliveries", "listWebhookDeliveries", "Webhooks"), s.listWebhookDeliveries)
}

// webhookBody is the body of POST /webhook and PUT /webhook/{id}.
type webhookBody struct {
	URL    *string  `json:"url,omitempty" doc:"required: the http or https URL deliveries are POSTed to"`
	Events []string `json:"events,omitempty" doc:"required: event types (task.created, task.updated, task.assigned, task.done, task.deleted, activity.created, activity.status_changed) or the official aliases onTaskCreated, onTaskAssigned, onTaskFinished, stored as the types they stand for"`
	Secret *string  `json:"secret,omitempty" nullable:"true" doc:"signs each delivery (Fieldwork-Signature); never returned. On PUT an absent secret is kept; null or \"\" removes it"`
	// Headers are sent with every delivery; they cannot replace Content-Type or Fieldwork-*.
	Headers map[string]string `json:"headers,omitempty" doc:"extra request headers of every delivery; Content-Type, Content-Length, Transfer-Encoding, Host, Connection and Fieldwork-* cannot be set"`
	Format  *string           `json:"format,omitempty" enum:"envelope,mileapp" doc:"envelope (default): {id, type, occurredTime, organizationId, data}; mileapp: the bare task"`

	// The read-only keys of a webhook, so that an answer can be sent back as a PUT body:
	// accepted and ignored (SPEC §1.10 for version).
	ID             json.RawMessage `json:"_id,omitempty" doc:"read-only: ignored"`
	OrganizationID json.RawMessage `json:"organizationId,omitempty" doc:"read-only: ignored"`
	HasSecret      json.RawMessage `json:"hasSecret,omitempty" doc:"read-only: ignored"`
	Version        json.RawMessage `json:"version,omitempty" doc:"read-only: ignored"`
	CreatedBy      json.RawMessage `json:"createdBy,omitempty" doc:"read-only: ignored"`
	UpdatedBy      json.RawMessage `json:"updatedBy,omitempty" doc:"read-only: ignored"`
	CreatedTime    json.RawMessage `json:"createdTime,omitempty" doc:"read-only: ignored"`
	UpdatedTime    json.RawMessage `json:"updatedTime,omitempty" doc:"read-only: ignored"`
}

// decodeWebhook decodes a webhook body strictly; an explicit `"secret": null` removes the
// secret, like "" (the decoder alone cannot tell null from absent).
func decodeWebhook(raw []byte) (fieldwork.WebhookInput, error) {
	var b webhookBody
	if err := decodeObject(raw, &b, "webhk-032", true); err != nil {
		return fieldwork.WebhookInput{}, err
	}
	var keys map[string]json.RawMessage
	body, _ := rawObject(raw)
	if json.Unmarshal(body, &keys) == nil && string(keys["secret"]) == "null" {
		b.Secret = new(string)
	}
	return fieldwork.WebhookInput{URL: b.URL, Events: b.Events, Secret: b.Secret, Headers: b.Headers, Format: b.Format}, nil
}

type webhookCreate struct {
	RawBody []byte
}

type webhookPath struct {
	ID      string `path:"id"`
	IfMatch string `header:"If-Match"`
}

type webhookWrite struct {
	ID      string `path:"id"`
	IfMatch string `header:"If-Match"`
	RawBody []byte
}

type webhookDeliveriesQuery struct {
	ID    string `path:"id"`
	Page  string `query:"page"`
	Limit string `query:"limit" doc:"1 to 1000 (default 20)"`
}

func (s *Server) listWebhooks(ctx context.Context, c *fieldwork.Caller, _ *struct{}) (*Out[DataBody[[]*fieldwork.Webhook]], error) {
	hooks, err := s.Service.FindWebhooks(ctx, c)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[[]*fieldwork.Webhook]{envelope(200, msgSuccess), hooks}), nil
}

func (s *Server) createWebhook(ctx context.Context, c *fieldwork.Caller, in *webhookCreate) (*Out[DataBody[*fieldwork.Webhook]], error) {
	body, err := decodeWebhook(in.RawBody)
	if err != nil {
		return nil, err
	}
	w, err := s.Service.CreateWebhook(ctx, c, body)
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusCreated, DataBody[*fieldwork.Webhook]{envelope(201, msgSuccess), w})
	out.ETag = etag(w.Version)
	return out, nil
}

func (s *Server) getWebhook(ctx context.Context, c *fieldwork.Caller, in *webhookPath) (*Out[DataBody[*fieldwork.Webhook]], error) {
	w, err := s.Service.FindWebhook(ctx, c, in.ID)
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, DataBody[*fieldwork.Webhook]{envelope(200, msgSuccess), w})
	out.ETag = etag(w.Version)
	return out, nil
}

func (s *Server) putWebhook(ctx context.Context, c *fieldwork.Caller, in *webhookWrite) (*Out[DataBody[*fieldwork.Webhook]], error) {
	body, err := decodeWebhook(in.RawBody)
	if err != nil {
		return nil, err
	}
	w, err := s.Service.UpdateWebhook(ctx, c, in.ID, body, ifMatch(in.IfMatch))
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, DataBody[*fieldwork.Webhook]{envelope(200, msgSuccess), w})
	out.ETag = etag(w.Version)
	return out, nil
}

// deleteWebhook answers with the deleted webhook under `data`.
func (s *Server) deleteWebhook(ctx context.Context, c *fieldwork.Caller, in *webhookPath) (*Out[DataBody[*fieldwork.Webhook]], error) {
	w, err := s.Service.DeleteWebhook(ctx, c, in.ID, ifMatch(in.IfMatch))
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[*fieldwork.Webhook]{envelope(200, msgSuccess), w}), nil
}

// listWebhookDeliveries answers a page of the webhook's delivery attempts, newest first.
func (s *Server) listWebhookDeliveries(ctx context.Context, c *fieldwork.Caller, in *webhookDeliveriesQuery) (*Out[DataBody[Paginator[*fieldwork.DeliveryAttempt]]], error) {
	page, limit, err := paging(in.Page, in.Limit, 20, 1000, "webhk-032")
	if err != nil {
		return nil, err
	}
	attempts, total, err := s.Service.FindWebhookDeliveries(ctx, c, in.ID, (page-1)*limit, limit)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[Paginator[*fieldwork.DeliveryAttempt]]{envelope(200, msgSuccess), newPaginator(ctx, attempts, page, limit, total)}), nil
}
