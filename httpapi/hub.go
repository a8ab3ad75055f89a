package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/fieldwork-dev/fieldwork"
)

// hubBody is the body of POST, PUT and PATCH /hub.
type hubBody struct {
	Name        *string         `json:"name,omitempty"`
	Address     *string         `json:"address,omitempty"`
	Lat         *flexFloat      `json:"lat,omitempty"`
	Lng         *flexFloat      `json:"lng,omitempty"`
	Timezone    *string         `json:"timezone,omitempty"`
	Country     json.RawMessage `json:"country,omitempty"`
	CountryCode *string         `json:"countryCode,omitempty"`
}

func (b *hubBody) input() fieldwork.HubInput {
	return fieldwork.HubInput{Name: b.Name, Address: b.Address, Lat: b.Lat.ptr(), Lng: b.Lng.ptr(),
		Timezone: b.Timezone, Country: b.Country, CountryCode: b.CountryCode}
}

type hubPath struct {
	HubID   string `path:"hubId"`
	IfMatch string `header:"If-Match"`
}

type hubWrite struct {
	HubID   string `path:"hubId"`
	IfMatch string `header:"If-Match"`
	RawBody []byte
}

type hubCreate struct {
	RawBody []byte
}

type hubList struct {
	Page      string `query:"page"`
	Limit     string `query:"limit"`
	Name      string `query:"name"`
	Q         string `query:"q"`
	SortBy    string `query:"sortBy"`
	SortOrder string `query:"sortOrder"`
	Fields    string `query:"fields"`
	ByUser    string `query:"byUser"`
}

// PropertyBody answers an update with the object under `property` and `data`.
type PropertyBody[T any] struct {
	Envelope
	Property T `json:"property"`
	Data     T `json:"data"`
}

func (s *Server) listHubs(ctx context.Context, c *fieldwork.Caller, in *hubList) (*Out[DataBody[hubsData]], error) {
	const failed = "hub-032"
	page, limit, err := paging(in.Page, in.Limit, 20, 1000, failed)
	if err != nil {
		return nil, err
	}
	f := fieldwork.HubFilter{Offset: (page - 1) * limit, Limit: limit}
	if in.Name != "" {
		f.Name = &in.Name
	}
	if in.Q != "" {
		f.Q = &in.Q
	}
	var fe fieldwork.FieldErrors
	f.SortBy = oneOf(&fe, "sortBy", in.SortBy, "name", "name", "createdTime", "updatedTime")
	f.SortOrder = oneOf(&fe, "sortOrder", strings.ToLower(in.SortOrder), "asc", "asc", "desc")
	byUser := boolParam(&fe, "byUser", in.ByUser)
	if err := fe.Err(failed); err != nil {
		return nil, err
	}
	hubs, _, err := s.Service.FindHubs(ctx, c, f, byUser)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[hubsData]{envelope(200, msgSuccess), project(hubs, in.Fields)}), nil
}

func (s *Server) createHub(ctx context.Context, c *fieldwork.Caller, in *hubCreate) (*Out[DataBody[*fieldwork.Hub]], error) {
	var b hubBody
	if err := decodeObject(in.RawBody, &b, "hub-032", true); err != nil {
		return nil, err
	}
	h, err := s.Service.CreateHub(ctx, c, b.input())
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[*fieldwork.Hub]{envelope(200, msgSuccess), h}), nil
}

func (s *Server) getHub(ctx context.Context, c *fieldwork.Caller, in *hubPath) (*Out[DataBody[*fieldwork.Hub]], error) {
	h, err := s.Service.FindHub(ctx, c, in.HubID)
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, DataBody[*fieldwork.Hub]{envelope(200, msgSuccess), h})
	out.ETag = etag(h.Version)
	return out, nil
}

func (s *Server) putHub(ctx context.Context, c *fieldwork.Caller, in *hubWrite) (*Out[PropertyBody[*fieldwork.Hub]], error) {
	return s.writeHub(ctx, c, in, true)
}

func (s *Server) patchHub(ctx context.Context, c *fieldwork.Caller, in *hubWrite) (*Out[PropertyBody[*fieldwork.Hub]], error) {
	return s.writeHub(ctx, c, in, false)
}

func (s *Server) writeHub(ctx context.Context, c *fieldwork.Caller, in *hubWrite, full bool) (*Out[PropertyBody[*fieldwork.Hub]], error) {
	var b hubBody
	if err := decodeObject(in.RawBody, &b, "hub-032", true); err != nil {
		return nil, err
	}
	h, err := s.Service.UpdateHub(ctx, c, in.HubID, b.input(), full, ifMatch(in.IfMatch))
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, PropertyBody[*fieldwork.Hub]{envelope(200, msgSuccess), h, h})
	out.ETag = etag(h.Version)
	return out, nil
}

func (s *Server) deleteHub(ctx context.Context, c *fieldwork.Caller, in *hubPath) (*Out[Envelope], error) {
	if err := s.Service.DeleteHub(ctx, c, in.HubID, ifMatch(in.IfMatch)); err != nil {
		return nil, err
	}
	return reply(http.StatusOK, envelope(200, msgSuccess)), nil
}
