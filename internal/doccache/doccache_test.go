package doccache

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

type doc struct {
	Name  string   `json:"name"`
	Items []string `json:"items"`
}

func TestDecodeKeyedByStoredBytes(t *testing.T) {
	c := New[doc](4)
	a, err := c.Decode("o/1", `{"name":"a","items":["x"]}`, json.Unmarshal)
	if err != nil || a.Name != "a" {
		t.Fatalf("Decode = %+v, %v", a, err)
	}
	again, _ := c.Decode("o/1", `{"name":"a","items":["x"]}`, json.Unmarshal)
	if again != a {
		t.Error("the same stored bytes were decoded again")
	}
	changed, _ := c.Decode("o/1", `{"name":"b","items":["x"]}`, json.Unmarshal)
	if changed == a || changed.Name != "b" {
		t.Errorf("a changed document gave %+v, want the new one", changed)
	}
	other, _ := c.Decode("p/1", `{"name":"b","items":["x"]}`, json.Unmarshal)
	if other == changed {
		t.Error("two keys share one value")
	}
	if _, err := c.Decode("o/2", `{"name":`, json.Unmarshal); err == nil {
		t.Error("a malformed document decoded")
	}
	if _, ok := c.entries["o/2"]; ok {
		t.Error("a document that failed to decode was cached")
	}
}

func TestDecodeBounded(t *testing.T) {
	c := New[doc](3)
	for i := range 10 {
		if _, err := c.Decode(fmt.Sprint("o/", i), fmt.Sprintf(`{"name":"%d"}`, i), json.Unmarshal); err != nil {
			t.Fatal(err)
		}
		if n := len(c.entries); n > 3 {
			t.Fatalf("after %d documents the cache holds %d, limit 3", i+1, n)
		}
	}
	last, _ := c.Decode("o/9", `{"name":"9"}`, json.Unmarshal)
	if last != c.entries["o/9"].v {
		t.Error("the newest document was evicted")
	}
}

func TestDecodeCatchesCallerChanges(t *testing.T) {
	if !testing.Testing() {
		t.Skip()
	}
	c := New[doc](4)
	d, _ := c.Decode("o/1", `{"name":"a","items":["x"]}`, json.Unmarshal)
	d.Items[0] = "changed"
	defer func() {
		if p := recover(); p == nil {
			t.Error("a changed shared value was served without a panic")
		}
	}()
	_, _ = c.Decode("o/1", `{"name":"a","items":["x"]}`, json.Unmarshal)
}

func TestDecodeConcurrent(t *testing.T) {
	c := New[doc](8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				key := fmt.Sprint("o/", (g+i)%12)
				d, err := c.Decode(key, fmt.Sprintf(`{"name":%q}`, key), json.Unmarshal)
				if err != nil || d.Name != key {
					t.Errorf("Decode(%s) = %+v, %v", key, d, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
