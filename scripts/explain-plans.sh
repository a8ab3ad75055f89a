#!/usr/bin/env bash
# Seeds 1,000,000 tasks in one organization (and 100,000 in ten others) into the PostgreSQL
# database of FIELDWORK_TEST_POSTGRES and prints EXPLAIN ANALYZE of the common list queries as
# Markdown. Run it on a scratch database: ./scripts/with-postgres.sh scripts/explain-plans.sh
set -euo pipefail
DSN="$FIELDWORK_TEST_POSTGRES"
cd "$(dirname "$0")/.." && FIELDWORK_DB="$DSN" go run ./cmd/fieldwork migrate >/dev/null
P="psql -X -q -v ON_ERROR_STOP=1 $DSN"
$P <<'SQL'
INSERT INTO organizations SELECT 'org' || lpad(g::text, 21, '0'), 'Org ' || g, 0 FROM generate_series(0, 10) g;
INSERT INTO organization_state (organization_id) SELECT id FROM organizations;
-- org 0: 1,000,000 tasks; orgs 1..10: 100,000 each.
CREATE TEMP TABLE plan AS SELECT o AS org, CASE WHEN o = 0 THEN 1000000 ELSE 100000 END AS n FROM generate_series(0, 10) o;
INSERT INTO tasks (organization_id, id, flow, flow_id, hub_id, status, task_type, parent_id, workflow_id,
                   routing_result_id, done_by, search_text, start_time, end_time, done_time, created_time,
                   updated_time, order_index, doc, title_sort)
SELECT 'org' || lpad(p.org::text, 21, '0'),
       substr(md5(p.org || '-' || i), 1, 24),
       'Delivery', 'flow00000000000000000001', 'hub' || lpad((i % 20)::text, 21, '0'),
       (ARRAY['UNASSIGNED','ONGOING','DONE'])[1 + i % 3],
       CASE WHEN i % 4 = 0 THEN 'activityMaster' WHEN i % 4 IN (1,2) THEN 'activityChild' ELSE 'task' END,
       CASE WHEN i % 4 IN (1,2) THEN substr(md5(p.org || '-' || (i - i % 4)), 1, 24) END,
       CASE WHEN i % 4 <> 3 THEN 'wf' || lpad((i % 7)::text, 22, '0') END,
       NULL,
       CASE WHEN i % 3 = 2 THEN 'worker' || (i % 100) || '@acme.test' END,
       'order #' || i,
       1700000000000000 + i::bigint * 30000000,
       1700000000000000 + i::bigint * 30000000 + 86400000000,
       CASE WHEN i % 3 = 2 THEN 1700000000000000 + i::bigint * 30000000 + 3600000000 ELSE 0 END,
       1700000000000000 + i::bigint * 1000000,
       1700000000000000 + i::bigint * 1000000,
       i,
       jsonb_build_object('_id', substr(md5(p.org || '-' || i), 1, 24), 'title', 'Order #' || i, 'flow', 'Delivery',
                          'recipientName', 'Customer ' || i, 'address', 'Jl. Sudirman ' || i, 'weight', i % 50),
       'order #' || i
FROM plan p, generate_series(1, p.n) i;
INSERT INTO task_assignees (organization_id, email, task_id)
SELECT organization_id, 'worker' || (abs(hashtext(id)) % 100) || '@acme.test', id FROM tasks WHERE status <> 'UNASSIGNED';
VACUUM ANALYZE;
SQL
echo "seeded: $($P -At -c 'SELECT count(*) FROM tasks') tasks"
ORG="'org000000000000000000000'"
explain() {
  echo "### $1"; echo '```'
  $P -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING ON, SUMMARY ON) $2" | sed '/^$/d'
  echo '```'; echo
}
PARENT=$($P -At -c "SELECT parent_id FROM tasks WHERE organization_id = $ORG AND parent_id IS NOT NULL LIMIT 1 OFFSET 400000")
CUR=$($P -At -c "SELECT id || ',' || created_time FROM tasks WHERE organization_id = $ORG ORDER BY created_time DESC, id DESC OFFSET 500000 LIMIT 1")
CID=${CUR%,*}; CT=${CUR#*,}
explain "Default list: newest first, first page" "SELECT doc FROM tasks WHERE organization_id = $ORG ORDER BY created_time DESC, id DESC LIMIT 20 OFFSET 0"
explain "Keyset page deep in the list (cursor = the 500,000th task)" "SELECT doc FROM tasks WHERE organization_id = $ORG AND (created_time, id) < ($CT, '$CID') ORDER BY created_time DESC, id DESC LIMIT 21"
explain "By status" "SELECT doc FROM tasks WHERE organization_id = $ORG AND status IN ('ONGOING') ORDER BY created_time DESC, id DESC LIMIT 20"
explain "By parentId (an activity's children)" "SELECT doc FROM tasks WHERE organization_id = $ORG AND parent_id = '$PARENT' ORDER BY created_time DESC, id DESC LIMIT 20"
explain "By assignee" "SELECT doc FROM tasks WHERE organization_id = $ORG AND id IN (SELECT task_id FROM task_assignees WHERE organization_id = $ORG AND email = 'worker7@acme.test') ORDER BY created_time DESC, id DESC LIMIT 20"
explain "By startTime range (one day), sorted by startTime" "SELECT doc FROM tasks WHERE organization_id = $ORG AND start_time >= 1700010000000000 AND start_time <= 1700096400000000 ORDER BY start_time ASC, id ASC LIMIT 20"
explain "By startTime range (one day), default sort: the page's ids from tasks_start, then their rows" "SELECT t.doc FROM (SELECT id, created_time AS k FROM tasks WHERE organization_id = $ORG AND start_time >= 1700010000000000 AND start_time <= 1700096400000000 ORDER BY COALESCE(created_time, created_time) DESC, id DESC LIMIT 20) AS p CROSS JOIN tasks t WHERE t.organization_id = $ORG AND t.id = p.id ORDER BY p.k DESC, p.id DESC"
explain "Activities list (masters, updatedTime desc)" "SELECT doc FROM tasks WHERE organization_id = $ORG AND task_type IN ('activityMaster') ORDER BY updated_time DESC, id DESC LIMIT 15"
explain "Page-number total of the whole organization (the cost issue 6 bounds)" "SELECT count(*), count(*) FILTER (WHERE status = 'DONE'), count(*) FILTER (WHERE status = 'ONGOING') FROM tasks WHERE organization_id = $ORG"
