package fieldwork

import (
	"context"
	"time"
)

// Store is the persistence contract both storage engines satisfy. Business rules live above it,
// in Service; a store persists, scopes every read and write by organization and translates
// driver errors (unique violation → conflict, no rows → not found) where they occur.
type Store interface {
	// Update runs fn in one read-write transaction confined to one organization: either every
	// write fn makes through tx is committed, or none is. fn may be run more than once when
	// the engine asks for a retry, so it must not have effects outside tx.
	Update(ctx context.Context, orgID ID, fn func(tx Tx) error) error
	// View runs fn in one read-only transaction confined to one organization.
	View(ctx context.Context, orgID ID, fn func(tx Tx) error) error

	// CreateOrganization stores a new organization with its roles, its first user and that
	// user's token, in one transaction.
	CreateOrganization(ctx context.Context, org *Organization, roles []*Role, owner *User, token *Token) error
	// CountOrganizations returns how many organizations exist.
	CountOrganizations(ctx context.Context) (int, error)
	// FindCredential returns the token with that secret hash, in any organization, with its
	// user (nil when the user no longer exists), or a not-found error: one read, which every
	// request makes. It is the only lookup not scoped by organization: a request's
	// organization is known only once its token is.
	FindCredential(ctx context.Context, hash string) (*Token, *User, error)

	// FindDueDeliveryOrganizations returns the organizations that have webhook deliveries due
	// at now, the longest overdue first, at most limit. It reads across organizations (the
	// dispatcher's documented exception to organization-first); the deliveries themselves are
	// then claimed in a transaction of each organization (Tx.ClaimDeliveries).
	FindDueDeliveryOrganizations(ctx context.Context, now time.Time, limit int) ([]ID, error)
	// CountPendingDeliveries counts the pending deliveries of every organization (metrics).
	CountPendingDeliveries(ctx context.Context) (int, error)

	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Tx is one transaction of one organization. Every method reads or writes only that
// organization's rows. Finders return an *Error with code ENOTFOUND when nothing matches.
type Tx interface {
	OrganizationID() ID
	FindOrganization(ctx context.Context) (*Organization, error)

	FindRoles(ctx context.Context) ([]*Role, error)
	FindRoleByID(ctx context.Context, id ID) (*Role, error)

	FindUserByID(ctx context.Context, id ID) (*User, error)
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// FindUsersByEmails returns the users with those (lower-case) emails; missing ones are
	// simply absent.
	FindUsersByEmails(ctx context.Context, emails []string) ([]*User, error)
	FindUsers(ctx context.Context, f UserFilter) ([]*User, int, error)
	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error
	DeleteUser(ctx context.Context, id ID) error
	CountActiveOwners(ctx context.Context) (int, error)

	CreateToken(ctx context.Context, t *Token) error
	FindTokenByID(ctx context.Context, id ID) (*Token, error)
	FindTokensByUser(ctx context.Context, userID ID) ([]*Token, error)
	UpdateToken(ctx context.Context, t *Token) error
	RevokeUserTokens(ctx context.Context, userID ID) error

	FindHubByID(ctx context.Context, id ID) (*Hub, error)
	FindHubByName(ctx context.Context, name string) (*Hub, error)
	FindHubs(ctx context.Context, f HubFilter) ([]*Hub, int, error)
	CreateHub(ctx context.Context, h *Hub) error
	UpdateHub(ctx context.Context, h *Hub) error
	DeleteHub(ctx context.Context, id ID) error
	// HubReferenced reports whether any task or user still references the hub.
	HubReferenced(ctx context.Context, id ID) (bool, error)

	// FindFlowByID returns one flow (ENOTFOUND, failedCode flow-033, when missing). The flow may
	// be shared with every other reader of the same stored version: callers must not change it
	// (Clone it first). Stores keep flows decoded; a test binary panics on the next read of a
	// shared flow that a caller changed.
	FindFlowByID(ctx context.Context, id ID) (*Flow, error)
	// FindFlowsByIDs returns the flows with those ids, in no particular order; missing ones are
	// left out. The flows are shared like FindFlowByID's.
	FindFlowsByIDs(ctx context.Context, ids []ID) ([]*Flow, error)
	FindFlowByName(ctx context.Context, name string) (*Flow, error)
	FindFlows(ctx context.Context, f FlowFilter) ([]*Flow, int, error)
	CreateFlow(ctx context.Context, f *Flow) error
	UpdateFlow(ctx context.Context, f *Flow) error
	DeleteFlow(ctx context.Context, id ID) error

	// FindWorkflowByID returns one workflow (ENOTFOUND, failedCode workf-033, when missing),
	// shared like FindFlowByID's flows: callers must not change it (Clone it first).
	FindWorkflowByID(ctx context.Context, id ID) (*Workflow, error)
	// FindWorkflowByName returns the workflow with that name, compared case-insensitively.
	FindWorkflowByName(ctx context.Context, name string) (*Workflow, error)
	// FindWorkflows returns the workflows matching f, newest first, and how many match.
	FindWorkflows(ctx context.Context, f WorkflowFilter) ([]*Workflow, int, error)
	// CreateWorkflow inserts a workflow; a taken name (case-insensitive) is workf-031.
	CreateWorkflow(ctx context.Context, w *Workflow) error
	// UpdateWorkflow replaces a workflow; a taken name is workf-031.
	UpdateWorkflow(ctx context.Context, w *Workflow) error
	DeleteWorkflow(ctx context.Context, id ID) error
	// CountWorkflowsUsingFlow counts the workflows with a step on the flow.
	CountWorkflowsUsingFlow(ctx context.Context, flowID ID) (int, error)

	// FindTaskByID returns the task; in an Update transaction the row is locked against
	// concurrent writers until commit.
	FindTaskByID(ctx context.Context, id ID) (*Task, error)
	FindTasks(ctx context.Context, f TaskFilter) ([]*Task, error)
	CountTasks(ctx context.Context, f TaskFilter) (TaskCounts, error)
	CreateTask(ctx context.Context, t *Task) error
	UpdateTask(ctx context.Context, t *Task) error
	// DeleteTask removes a task; at stamps the organization's task data version.
	DeleteTask(ctx context.Context, id ID, at time.Time) error
	// LatestTaskChange returns the newest updatedTime (Unix seconds) of the organization's
	// tasks, including deletions, or 0.
	LatestTaskChange(ctx context.Context) (int64, error)
	// TaskVersion returns, in one read, LatestTaskChange and how many task writes (CreateTask,
	// UpdateTask, DeleteTask) the organization has had: a number that changes with every
	// change of its tasks, where the data version (seconds) may not. The service keys its
	// cached list counts by it.
	TaskVersion(ctx context.Context) (dataVersion, changes int64, err error)

	// AddHistory appends an entry to a task's history. A store may defer the write to the
	// commit, like AppendEvent's; the transaction's FindHistories sees it.
	AddHistory(ctx context.Context, h *History) error
	FindHistories(ctx context.Context, taskID ID, newestFirst bool, offset, limit int) ([]*History, int, error)

	// FindIdempotencyKey returns the record of a key (by KeyHash), expired or not.
	FindIdempotencyKey(ctx context.Context, keyHash string) (*IdempotencyRecord, error)
	// CreateIdempotencyKey claims a key; a key the organization already holds is ECONFLICT
	// (idem-032), and leaves the transaction usable. While the claiming transaction is open, a
	// concurrent claim of the same key waits for it to end.
	CreateIdempotencyKey(ctx context.Context, r *IdempotencyRecord) error
	// CompleteIdempotencyKey stores the answer of the request that claimed the key.
	CompleteIdempotencyKey(ctx context.Context, keyHash string, status int, body []byte) error
	// DeleteIdempotencyKey removes the key's record if it was created before createdBefore;
	// a newer record, or none, is left as it is.
	DeleteIdempotencyKey(ctx context.Context, keyHash string, createdBefore time.Time) error

	// AppendEvent stores an event in the outbox (SPEC §8), setting its OrganizationID and its
	// Sequence: the organization's next number, and fans it out (SPEC §9): one pending
	// delivery, due at due, for every webhook subscribed to its type. The number is taken from
	// a per-organization counter whose row stays locked until the transaction ends, so the
	// events of concurrent transactions are numbered in commit order, and a rolled-back
	// transaction leaves no gap and no delivery. A store may defer all of it to the commit (so
	// that the counter row is locked for the shortest time): Sequence is set when Update
	// returns, and the transaction's reads of events see its appended ones.
	AppendEvent(ctx context.Context, e *Event, due time.Time) error
	// FindEvents returns up to limit events (0 = no limit) with a sequence greater than
	// after, in sequence order.
	FindEvents(ctx context.Context, after int64, limit int) ([]*Event, error)

	// Webhooks (SPEC §9). FindWebhooks lists them oldest first; a missing one is webhk-033.
	FindWebhooks(ctx context.Context) ([]*Webhook, error)
	FindWebhookByID(ctx context.Context, id ID) (*Webhook, error)
	CreateWebhook(ctx context.Context, w *Webhook) error
	UpdateWebhook(ctx context.Context, w *Webhook) error
	// DeleteWebhook removes a webhook with its deliveries and their attempts.
	DeleteWebhook(ctx context.Context, id ID) error
	// ClaimDeliveries takes up to limit pending deliveries due at now, the longest overdue
	// first, for the claim named lease: each is due again only at leaseUntil, so no other
	// claim takes it before then, and one whose claimer dies is taken again after it.
	// Deliveries held by a concurrent, uncommitted claim are skipped, not waited for.
	ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, lease string, limit int) ([]*Delivery, error)
	// CompleteDelivery stores the state of d after an attempt (State, Attempts,
	// NextAttemptTime, FirstAttemptTime) and logs the attempt, if the claim named lease still
	// holds the delivery; else it returns an ECONFLICT error and changes nothing.
	CompleteDelivery(ctx context.Context, d *Delivery, lease string, a *DeliveryAttempt) error
	// ReleaseDelivery gives a claimed delivery back, due at due, if lease still holds it.
	ReleaseDelivery(ctx context.Context, d *Delivery, lease string, due time.Time) error
	// FindEvent returns the event with that sequence number.
	FindEvent(ctx context.Context, sequence int64) (*Event, error)
	// FindDeliveryAttempts returns a webhook's logged attempts, newest first, and how many
	// there are.
	FindDeliveryAttempts(ctx context.Context, webhookID ID, offset, limit int) ([]*DeliveryAttempt, int, error)
}
