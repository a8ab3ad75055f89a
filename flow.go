package fieldwork

import "encoding/json"

// Flow is a task form schema: its components type the fields of every task created with it.
type Flow struct {
	ID             ID                `json:"_id"`
	OrganizationID ID                `json:"organizationId"`
	Name           string            `json:"name"`
	Pages          []Page            `json:"pages"`
	Configurations []json.RawMessage `json:"configurations"`
	IsDefault      bool              `json:"isDefault"`
	OrderIndex     int               `json:"orderIndex"`
	Version        int               `json:"version"`
	CreatedBy      string            `json:"createdBy"`
	UpdatedBy      string            `json:"updatedBy"`
	CreatedTime    MicroTime         `json:"createdTime"`
	UpdatedTime    MicroTime         `json:"updatedTime"`
	// DeletedAt is set only in the answer of a delete.
	DeletedAt *MicroTime `json:"deleted_at,omitempty"`
}

// Page is one page of a flow: page0 holds the fields given at creation, later pages those the
// worker fills when doing the task.
type Page struct {
	ID         string      `json:"id"`
	Title      *string     `json:"title,omitempty"`
	Enabled    *bool       `json:"enabled,omitempty"`
	Components []Component `json:"components"`
}

// FlowFilter selects flows; pointer fields are "not set".
type FlowFilter struct {
	Name      *string // exact, case-insensitive
	Q         *string // substring of the name
	SortBy    string  // orderIndex (default), name, createdTime, updatedTime
	SortOrder string  // desc (default), asc
	Offset    int
	Limit     int
}

// Clone returns a deep copy of f. FindFlowByID may return a flow shared with other readers
// (see Tx); a caller that changes one clones it first.
func (f *Flow) Clone() *Flow { return deepCopy(f) }
