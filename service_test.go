package fieldwork_test

import (
	"sync"
	"testing"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

// TestBootstrapRace starts several instances' bootstrap at once on one empty store: exactly
// one demo organization is created and nobody fails.
func TestBootstrapRace(t *testing.T) {
	for _, engine := range testdb.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := testdb.Open(t, engine)
			var wg sync.WaitGroup
			secrets := make([]string, 4)
			for i := range secrets {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					var err error
					secrets[i], err = fieldwork.NewService(st).Bootstrap(t.Context(), "bootstrap-token-bootstrap-token-01")
					if err != nil {
						t.Errorf("bootstrap %d: %v", i, err)
					}
				}(i)
			}
			wg.Wait()
			n, err := st.CountOrganizations(t.Context())
			if err != nil || n != 1 {
				t.Fatalf("%d organizations (%v)", n, err)
			}
			created := 0
			for _, s := range secrets {
				if s != "" {
					created++
				}
			}
			if created != 1 {
				t.Fatalf("%d instances say they created the demo organization", created)
			}
			if _, err := fieldwork.NewService(st).Authenticate(t.Context(), "bootstrap-token-bootstrap-token-01"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
