package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

// TestHostileInput throws hostile requests at the real binary on each engine: none may get a
// 5xx or crash the server, refusals carry the error envelope, and slow clients are cut off by
// the server's timeouts.
func TestHostileInput(t *testing.T) {
	for _, engine := range testdb.Engines() {
		t.Run(engine, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "db")
			if engine == testdb.Postgres {
				db = testdb.PostgresSchemaDSN(t)
			}
			p := startServer(t, db, "FIELDWORK_READ_HEADER_TIMEOUT=1s", "FIELDWORK_READ_TIMEOUT=2s",
				"FIELDWORK_WRITE_TIMEOUT=5s", "FIELDWORK_IDLE_TIMEOUT=2s")
			base := "http://" + p.addr + "/api/v3"
			hub := hostileCall(t, "POST", base+"/hub", `{"name": "H", "address": "a", "lat": 1, "lng": 2}`)
			hubID := hub["data"].(map[string]any)["_id"].(string)
			hostileCall(t, "POST", base+"/flow", `{"name": "F", "pages": [{"id": "page0", "components": [
				{"component": "input", "id": "note", "title": "Note"}, {"component": "input", "id": "n", "title": "N", "type": "Numeric"},
				{"component": "list", "id": "items", "title": "Items"}]}]}`)
			task := func(values string) string {
				return `{"flow": "F", "hubId": "` + hubID + `"` + values + `}`
			}
			manyParams := make([]string, 5000)
			for i := range manyParams {
				manyParams[i] = fmt.Sprintf("p%d=%d", i, i)
			}
			for _, tc := range []struct {
				name, method, path, body string
				want                     []int
			}{
				{"deeply nested JSON", "POST", "/task", task(`, "items": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000)), []int{400}},
				{"deeply nested objects", "POST", "/task", strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000), []int{400}},
				{"huge array value", "POST", "/task", task(`, "items": [` + strings.TrimSuffix(strings.Repeat("1,", 200000), ",") + `]`), []int{201}},
				{"huge bulk", "POST", "/tasks/bulk", `{"tasks": [` + strings.TrimSuffix(strings.Repeat(task("")+",", 2001), ",") + `]}`, []int{400}},
				{"10 MB string", "POST", "/task", task(`, "note": "` + strings.Repeat("x", 10<<20) + `"`), []int{413}},
				{"10 MB string in bulk", "POST", "/tasks/bulk", `{"tasks": [` + task(`, "note": "`+strings.Repeat("x", 10<<20)+`"`) + `]}`, []int{201}},
				{"invalid UTF-8", "POST", "/task", task(`, "note": "` + "\xff\xfe\xc3" + `"`), []int{201, 400}},
				{"raw NUL byte", "POST", "/task", task(`, "note": "a` + "\x00" + `b"`), []int{400}},
				{"escaped NUL", "POST", "/task", task(`, "note": "a\u0000b"`), []int{400}},
				{"number out of range", "POST", "/task", task(`, "n": 1e999`), []int{400}},
				{"orderIndex out of range", "POST", "/task", task(`, "orderIndex": -1e999`), []int{400}},
				{"huge integer", "POST", "/task", task(`, "n": 123456789012345678901234567890123456789`), []int{201, 400}},
				{"duplicate keys", "POST", "/task", task(`, "note": "a", "note": "b"`), []int{201}},
				{"thousands of query parameters", "GET", "/tasks?" + strings.Join(manyParams, "&"), "", []int{200}},
				{"thousands of statuses", "GET", "/tasks?status=" + strings.Repeat("DONE,", 5000), "", []int{200}},
				{"unpaired surrogate", "POST", "/task", task(`, "note": "\ud800"`), []int{201, 400}},
				{"not JSON at all", "POST", "/task", "\x00\x01\x02", []int{400}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					status, body := hostileRequest(t, tc.method, base+tc.path, tc.body)
					ok := false
					for _, w := range tc.want {
						ok = ok || status == w
					}
					if !ok {
						t.Fatalf("status %d, want one of %v: %.300s", status, tc.want, body)
					}
					var m map[string]any
					if err := json.Unmarshal(body, &m); err != nil {
						t.Fatalf("answer is not JSON: %.300s", body)
					}
					if status >= 400 && m["failedCode"] == nil {
						t.Fatalf("refusal without failedCode: %.300s", body)
					}
				})
			}

			t.Run("slow headers are cut off", func(t *testing.T) {
				conn, err := net.Dial("tcp", p.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				start := time.Now()
				_, _ = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
				// Never finish the headers: the server must give up after its 1 s limit.
				_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, _ = bufio.NewReader(conn).ReadString('\n') // returns when the server closes
				if elapsed := time.Since(start); elapsed > 5*time.Second {
					t.Fatalf("a slow-header connection stayed open %v", elapsed)
				}
			})
			t.Run("slow body is cut off", func(t *testing.T) {
				conn, err := net.Dial("tcp", p.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				start := time.Now()
				fmt.Fprintf(conn, "POST /api/v3/hub HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 1000\r\n\r\n{", bootstrapToken)
				_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				// Trickle a byte a second: the read timeout (2 s) ends the request.
				go func() {
					for i := 0; i < 8; i++ {
						time.Sleep(time.Second)
						if _, err := io.WriteString(conn, " "); err != nil {
							return
						}
					}
				}()
				res, err := http.ReadResponse(bufio.NewReader(conn), nil)
				elapsed := time.Since(start)
				if err == nil {
					res.Body.Close()
					if res.StatusCode < 400 || res.StatusCode >= 500 && res.StatusCode != 503 {
						t.Fatalf("slow body answered %d", res.StatusCode)
					}
				}
				if elapsed > 6*time.Second {
					t.Fatalf("a slow-body request lasted %v", elapsed)
				}
			})
			// The server is still healthy after all of it.
			if status, body := hostileRequest(t, "GET", "http://"+p.addr+"/readyz", ""); status != 200 {
				t.Fatalf("readyz after the hostile requests: %d %s", status, body)
			}
		})
	}
}

func hostileRequest(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+bootstrapToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", url[:min(len(url), 80)], err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func hostileCall(t *testing.T, method, url, body string) map[string]any {
	t.Helper()
	status, b := hostileRequest(t, method, url, body)
	if status >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, status, b)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}
