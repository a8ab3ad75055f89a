package sqlite

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/fieldwork-dev/fieldwork"
)

var (
	errFlowNotFound = fieldwork.NotFound("flow-033", fieldwork.MsgNotFound)
	errFlowName     = fieldwork.InvalidField("flow-031", "name", "The name has already been taken.")
)

// FindFlowByID returns one flow, shared with other readers of the same stored document (see
// doccache): decoding it would cost more than the read.
func (tx *Tx) FindFlowByID(ctx context.Context, id fieldwork.ID) (*fieldwork.Flow, error) {
	doc, err := tx.getRaw(ctx, errFlowNotFound, `SELECT doc FROM flows WHERE organization_id = $1 AND id = $2`, tx.org, id)
	if err != nil {
		return nil, err
	}
	return tx.store.flows.Decode(tx.org+"/"+id, doc, json.Unmarshal)
}

// FindFlowsByIDs returns the flows with those ids (missing ones left out), in one statement:
// an activity's steps each name a flow.
func (tx *Tx) FindFlowsByIDs(ctx context.Context, ids []fieldwork.ID) ([]*fieldwork.Flow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{tx.org}
	ph := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		ph[i] = placeholder(len(args))
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, doc FROM flows WHERE organization_id = $1 AND id IN (`+strings.Join(ph, ",")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*fieldwork.Flow
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, err
		}
		f, err := tx.store.flows.Decode(tx.org+"/"+id, doc, json.Unmarshal)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FindFlowByName returns the flow with that name, compared case-insensitively.
func (tx *Tx) FindFlowByName(ctx context.Context, name string) (*fieldwork.Flow, error) {
	var f fieldwork.Flow
	if err := tx.getDoc(ctx, errFlowNotFound, &f, `SELECT doc FROM flows WHERE organization_id = $1 AND name_lower = $2`, tx.org, strings.ToLower(name)); err != nil {
		return nil, err
	}
	return &f, nil
}

// FindFlows returns the flows matching f and how many match in all.
func (tx *Tx) FindFlows(ctx context.Context, f fieldwork.FlowFilter) ([]*fieldwork.Flow, int, error) {
	w := newWhere(tx.org)
	if f.Name != nil {
		w.add("name_lower = ?", strings.ToLower(*f.Name))
	}
	if f.Q != nil {
		w.add(`name_lower LIKE ? ESCAPE '\'`, likeEscape(*f.Q))
	}
	cond, args := w.sql()
	total, err := tx.count(ctx, `SELECT count(*) FROM flows WHERE `+cond, args...)
	if err != nil {
		return nil, 0, err
	}
	col := map[string]string{"name": "name_lower", "createdTime": "created_time", "updatedTime": "updated_time"}[f.SortBy]
	if col == "" {
		col = "order_index"
	}
	dir := " DESC"
	if f.SortOrder == "asc" {
		dir = " ASC"
	}
	flows, err := docs[fieldwork.Flow](ctx, tx, `SELECT doc FROM flows WHERE `+cond+` ORDER BY `+col+dir+`, id`+dir+limitOffset(f.Limit, f.Offset), args...)
	return flows, total, err
}

// CreateFlow inserts a flow; a taken name is flow-031.
func (tx *Tx) CreateFlow(ctx context.Context, f *fieldwork.Flow) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO flows (organization_id, id, name_lower, order_index, created_time, updated_time, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		tx.org, f.ID, strings.ToLower(f.Name), f.OrderIndex, f.CreatedTime.UnixMicro(), f.UpdatedTime.UnixMicro(), mustJSON(f))
	if isUnique(err) {
		return errFlowName
	}
	return err
}

// UpdateFlow replaces a flow; a taken name is flow-031.
func (tx *Tx) UpdateFlow(ctx context.Context, f *fieldwork.Flow) error {
	err := tx.exec(ctx, errFlowNotFound, `UPDATE flows SET name_lower = $3, order_index = $4, updated_time = $5, doc = $6 WHERE organization_id = $1 AND id = $2`,
		tx.org, f.ID, strings.ToLower(f.Name), f.OrderIndex, f.UpdatedTime.UnixMicro(), mustJSON(f))
	if isUnique(err) {
		return errFlowName
	}
	return err
}

// DeleteFlow removes a flow.
func (tx *Tx) DeleteFlow(ctx context.Context, id fieldwork.ID) error {
	return tx.exec(ctx, errFlowNotFound, `DELETE FROM flows WHERE organization_id = $1 AND id = $2`, tx.org, id)
}
