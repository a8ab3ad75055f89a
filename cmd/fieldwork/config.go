package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the server: defaults, overridden by environment variables.
type Config struct {
	Addr           string // FIELDWORK_ADDR
	DB             string // FIELDWORK_DB: sqlite:PATH or postgres://…
	PublicURL      string // FIELDWORK_PUBLIC_URL
	BootstrapToken string // FIELDWORK_BOOTSTRAP_TOKEN (secret)
	LogFormat      string // FIELDWORK_LOG_FORMAT: text or json
	RateLimit      string // FIELDWORK_RATE_LIMIT: "R" or "R:B" requests/second and burst per organization; "0" = off

	// HTTP server timeouts (Go durations such as "10s"): reading the request headers, the
	// whole request, writing the answer, and an idle keep-alive connection.
	ReadHeaderTimeout string // FIELDWORK_READ_HEADER_TIMEOUT
	ReadTimeout       string // FIELDWORK_READ_TIMEOUT
	WriteTimeout      string // FIELDWORK_WRITE_TIMEOUT
	IdleTimeout       string // FIELDWORK_IDLE_TIMEOUT
}

// DefaultConfig returns the defaults of SPEC §10.
func DefaultConfig() Config {
	return Config{Addr: ":8080", DB: "sqlite:fieldwork.db", LogFormat: "text", RateLimit: "100:100",
		ReadHeaderTimeout: "10s", ReadTimeout: "60s", WriteTimeout: "60s", IdleTimeout: "120s"}
}

// LoadConfig applies environment overrides to the defaults.
func LoadConfig(getenv func(string) string) Config {
	c := DefaultConfig()
	for key, dst := range map[string]*string{
		"FIELDWORK_ADDR":                &c.Addr,
		"FIELDWORK_DB":                  &c.DB,
		"FIELDWORK_PUBLIC_URL":          &c.PublicURL,
		"FIELDWORK_BOOTSTRAP_TOKEN":     &c.BootstrapToken,
		"FIELDWORK_LOG_FORMAT":          &c.LogFormat,
		"FIELDWORK_RATE_LIMIT":          &c.RateLimit,
		"FIELDWORK_READ_HEADER_TIMEOUT": &c.ReadHeaderTimeout,
		"FIELDWORK_READ_TIMEOUT":        &c.ReadTimeout,
		"FIELDWORK_WRITE_TIMEOUT":       &c.WriteTimeout,
		"FIELDWORK_IDLE_TIMEOUT":        &c.IdleTimeout,
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
	return fmt.Sprintf("addr=%s db=%s publicURL=%q bootstrapToken=%q logFormat=%s rateLimit=%s",
		c.Addr, maskDSN(c.DB), c.PublicURL, tok, c.LogFormat, c.RateLimit)
}

// timeouts parses the four HTTP server timeouts.
func (c Config) timeouts() (readHeader, read, write, idle time.Duration, err error) {
	out := make([]time.Duration, 4)
	for i, v := range []struct{ name, value string }{
		{"FIELDWORK_READ_HEADER_TIMEOUT", c.ReadHeaderTimeout}, {"FIELDWORK_READ_TIMEOUT", c.ReadTimeout},
		{"FIELDWORK_WRITE_TIMEOUT", c.WriteTimeout}, {"FIELDWORK_IDLE_TIMEOUT", c.IdleTimeout},
	} {
		d, perr := time.ParseDuration(v.value)
		if perr != nil || d <= 0 {
			return 0, 0, 0, 0, fmt.Errorf("%s %q: want a positive duration such as 30s", v.name, v.value)
		}
		out[i] = d
	}
	return out[0], out[1], out[2], out[3], nil
}

// rateLimit parses RateLimit: "R" (burst R) or "R:B"; R = 0 turns limiting off.
func (c Config) rateLimit() (perSecond float64, burst int, err error) {
	r, b, hasBurst := strings.Cut(strings.TrimSpace(c.RateLimit), ":")
	perSecond, err = strconv.ParseFloat(r, 64)
	if err != nil || perSecond < 0 || math.IsInf(perSecond, 0) || math.IsNaN(perSecond) {
		return 0, 0, fmt.Errorf("FIELDWORK_RATE_LIMIT %q: want R or R:B, R requests per second (0 = off), B the burst", c.RateLimit)
	}
	burst = max(1, int(math.Ceil(perSecond)))
	if hasBurst {
		if burst, err = strconv.Atoi(b); err != nil || burst < 1 {
			return 0, 0, fmt.Errorf("FIELDWORK_RATE_LIMIT %q: the burst must be a positive integer", c.RateLimit)
		}
	}
	return perSecond, burst, nil
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
