package fieldwork

import "encoding/json"

// Hub is a depot or branch that tasks and users belong to.
type Hub struct {
	ID             ID              `json:"_id"`
	OrganizationID ID              `json:"organizationId"`
	Name           string          `json:"name"`
	Address        string          `json:"address"`
	Lat            float64         `json:"lat"`
	Lng            float64         `json:"lng"`
	Country        json.RawMessage `json:"country"`
	CountryCode    *string         `json:"countryCode"`
	DeleteAccess   bool            `json:"deleteAccess"`
	Timezone       string          `json:"timezone"`
	Version        int             `json:"version"`
	CreatedTime    MicroTime       `json:"createdTime"`
	UpdatedTime    MicroTime       `json:"updatedTime"`
}

// HubRef is the hub as embedded in a task.
type HubRef struct {
	ID      ID      `json:"_id"`
	Name    string  `json:"name"`
	Lat     float64 `json:"lat"`
	Lng     float64 `json:"lng"`
	Address string  `json:"address"`
}

// Ref returns the embedded form of the hub.
func (h *Hub) Ref() *HubRef {
	return &HubRef{ID: h.ID, Name: h.Name, Lat: h.Lat, Lng: h.Lng, Address: h.Address}
}

// HubFilter selects hubs; pointer fields are "not set".
type HubFilter struct {
	IDs       []ID // restrict to these hubs (nil = all)
	Name      *string
	Q         *string
	SortBy    string // name (default), createdTime, updatedTime
	SortOrder string // asc (default), desc
	Offset    int
	Limit     int
}
