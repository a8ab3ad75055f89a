package main

import (
	"fmt"
	"strings"
)

// Config is every setting of the server: defaults, overridden by environment variables.
type Config struct {
	Addr           string // FIELDWORK_ADDR
	DB             string // FIELDWORK_DB: sqlite:PATH or postgres://…
	PublicURL      string // FIELDWORK_PUBLIC_URL
	BootstrapToken string // FIELDWORK_BOOTSTRAP_TOKEN (secret)
	LogFormat      string // FIELDWORK_LOG_FORMAT: text or json
}

// DefaultConfig returns the defaults of SPEC §10.
func DefaultConfig() Config {
	return Config{Addr: ":8080", DB: "sqlite:fieldwork.db", LogFormat: "text"}
}

// LoadConfig applies environment overrides to the defaults.
func LoadConfig(getenv func(string) string) Config {
	c := DefaultConfig()
	for key, dst := range map[string]*string{
		"FIELDWORK_ADDR":            &c.Addr,
		"FIELDWORK_DB":              &c.DB,
		"FIELDWORK_PUBLIC_URL":      &c.PublicURL,
		"FIELDWORK_BOOTSTRAP_TOKEN": &c.BootstrapToken,
		"FIELDWORK_LOG_FORMAT":      &c.LogFormat,
	} {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	return c
}

// String renders the config with secrets masked, for the start-up log.
func (c Config) String() string {
	tok := ""
	if c.BootstrapToken != "" {
		tok = "********"
	}
	return fmt.Sprintf("addr=%s db=%s publicURL=%q bootstrapToken=%q logFormat=%s", c.Addr, maskDSN(c.DB), c.PublicURL, tok, c.LogFormat)
}

// maskDSN hides a password in a database URL.
func maskDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			if colon := strings.Index(dsn[i+3:at], ":"); colon >= 0 {
				return dsn[:i+3+colon+1] + "********" + dsn[at:]
			}
		}
	}
	return dsn
}
