package postgres

import (
	"context"
	"strings"

	"github.com/fieldwork-dev/fieldwork"
)

var (
	errHubNotFound = fieldwork.NotFound("hub-033", fieldwork.MsgNotFound)
	errHubName     = fieldwork.InvalidField("hub-034", "name", "The name has already been taken.")
)

// codeHubInvalid is the failedCode of a hub PostgreSQL cannot store (see storable).
const codeHubInvalid = "hub-032"

// FindHubByID returns one hub.
func (tx *Tx) FindHubByID(ctx context.Context, id fieldwork.ID) (*fieldwork.Hub, error) {
	var h fieldwork.Hub
	if err := tx.getDoc(ctx, errHubNotFound, &h, `SELECT doc FROM hubs WHERE organization_id = $1 AND id = $2`, tx.org, id); err != nil {
		return nil, err
	}
	return &h, nil
}

// FindHubByName returns the hub with that name, compared case-insensitively.
func (tx *Tx) FindHubByName(ctx context.Context, name string) (*fieldwork.Hub, error) {
	var h fieldwork.Hub
	if err := tx.getDoc(ctx, errHubNotFound, &h, `SELECT doc FROM hubs WHERE organization_id = $1 AND name_lower = $2`, tx.org, strings.ToLower(name)); err != nil {
		return nil, err
	}
	return &h, nil
}

// FindHubs returns the hubs matching f and how many match in all.
func (tx *Tx) FindHubs(ctx context.Context, f fieldwork.HubFilter) ([]*fieldwork.Hub, int, error) {
	w := newWhere(tx.org)
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
		w.in("id", f.IDs)
	}
	if f.Name != nil {
		w.add("name_lower = ?", strings.ToLower(*f.Name))
	}
	if f.Q != nil {
		w.add(`name_lower LIKE ? ESCAPE '\'`, likeEscape(*f.Q))
	}
	cond, args := w.sql()
	total, err := tx.count(ctx, `SELECT count(*) FROM hubs WHERE `+cond, args...)
	if err != nil {
		return nil, 0, err
	}
	col := map[string]string{"createdTime": "created_time", "updatedTime": "updated_time"}[f.SortBy]
	if col == "" {
		col = "name_lower"
	}
	dir := " ASC"
	if f.SortOrder == "desc" {
		dir = " DESC"
	}
	hubs, err := docs[fieldwork.Hub](ctx, tx, `SELECT doc FROM hubs WHERE `+cond+` ORDER BY `+col+dir+`, id`+dir+limitOffset(f.Limit, f.Offset), args...)
	return hubs, total, err
}

// CreateHub inserts a hub; a taken name is hub-034.
func (tx *Tx) CreateHub(ctx context.Context, h *fieldwork.Hub) error {
	return storable(tx.execUnique(ctx, "hubs_name", errHubName, nil, `INSERT INTO hubs (organization_id, id, name_lower, created_time, updated_time, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
		tx.org, h.ID, strings.ToLower(h.Name), h.CreatedTime.UnixMicro(), h.UpdatedTime.UnixMicro(), mustJSON(h)), codeHubInvalid)
}

// UpdateHub replaces a hub; a taken name is hub-034.
func (tx *Tx) UpdateHub(ctx context.Context, h *fieldwork.Hub) error {
	return storable(tx.execUnique(ctx, "hubs_name", errHubName, errHubNotFound, `UPDATE hubs SET name_lower = $3, updated_time = $4, doc = $5 WHERE organization_id = $1 AND id = $2`,
		tx.org, h.ID, strings.ToLower(h.Name), h.UpdatedTime.UnixMicro(), mustJSON(h)), codeHubInvalid)
}

// DeleteHub removes a hub.
func (tx *Tx) DeleteHub(ctx context.Context, id fieldwork.ID) error {
	return tx.exec(ctx, errHubNotFound, `DELETE FROM hubs WHERE organization_id = $1 AND id = $2`, tx.org, id)
}

// HubReferenced reports whether a task or a user still names the hub.
func (tx *Tx) HubReferenced(ctx context.Context, id fieldwork.ID) (bool, error) {
	var ref bool
	err := tx.tx.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM tasks WHERE organization_id = $1 AND hub_id = $2) OR
		EXISTS (SELECT 1 FROM users WHERE organization_id = $1 AND hub_ids LIKE $3)`, tx.org, id, "%,"+id+",%").Scan(&ref)
	return ref, err
}
