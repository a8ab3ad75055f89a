// Command fieldwork runs the Fieldwork server.
//
//	fieldwork [serve]                      start the HTTP server (applies migrations first)
//	fieldwork migrate                      apply migrations and exit
//	fieldwork org create --name N --owner EMAIL
//	                                       create an organization and print its Owner's token
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/dispatch"
	"github.com/fieldwork-dev/fieldwork/httpapi"
	"github.com/fieldwork-dev/fieldwork/postgres"
	"github.com/fieldwork-dev/fieldwork/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fieldwork:", err)
		os.Exit(1)
	}
}

// Main is the running program: its configuration, store and HTTP server.
type Main struct {
	Config  Config
	Logger  *slog.Logger
	Store   fieldwork.Store
	Service *fieldwork.Service
	// Addr is the address the server listens on once Open has returned (":0" resolved).
	Addr     string
	server   *http.Server
	listener net.Listener
	stderr   io.Writer
	// dispatcher delivers webhook events while the server runs.
	dispatcher *dispatch.Dispatcher
}

// Run parses the subcommand and runs it until ctx is done.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	cfg := LoadConfig(getenv)
	m := &Main{Config: cfg, Logger: newLogger(cfg.LogFormat, stderr), stderr: stderr}
	switch cmd {
	case "serve":
		if err := m.Open(ctx); err != nil {
			return err
		}
		<-ctx.Done()
		return m.Close()
	case "migrate":
		if err := m.openStore(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrations applied")
		return m.Store.Close()
	case "org":
		return m.orgCommand(ctx, args, stdout)
	}
	return fmt.Errorf("unknown command %q (want serve, migrate or org create)", cmd)
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// openStore opens the configured store and applies its migrations.
func (m *Main) openStore(ctx context.Context) error {
	dsn := m.Config.DB
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		st, err := sqlite.Open(strings.TrimPrefix(dsn, "sqlite:"))
		if err != nil {
			return err
		}
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return err
		}
		m.Store = st
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			return err
		}
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return err
		}
		m.Store = st
	default:
		return fmt.Errorf("FIELDWORK_DB %q: unsupported store (want sqlite:PATH or postgres://…)", maskDSN(dsn))
	}
	m.Service = fieldwork.NewService(m.Store)
	m.Service.Logger = m.Logger
	return nil
}

// Open opens the store, bootstraps the demo organization on an empty store, and starts
// serving on Config.Addr.
func (m *Main) Open(ctx context.Context) error {
	m.Logger.Info("starting", "config", m.Config.String())
	if err := m.openStore(ctx); err != nil {
		return err
	}
	secret, err := m.Service.Bootstrap(ctx, m.Config.BootstrapToken)
	if err != nil {
		return err
	}
	if secret != "" && m.Config.BootstrapToken == "" {
		fmt.Fprintf(m.stderr, "Created organization \"Demo\" with Owner admin@example.com.\nOwner token (shown once): %s\n", secret)
	}
	perSecond, burst, err := m.Config.rateLimit()
	if err != nil {
		return err
	}
	readHeader, read, write, idle, err := m.Config.timeouts()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	m.listener = ln
	m.Addr = ln.Addr().String()
	m.dispatcher = dispatch.New(m.Service, dispatch.Config{Logger: m.Logger})
	m.server = &http.Server{
		Handler:           m.handler(perSecond, burst),
		ReadHeaderTimeout: readHeader,
		ReadTimeout:       read,
		WriteTimeout:      write,
		IdleTimeout:       idle,
	}
	go func() {
		if err := m.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("serve", "error", err)
		}
	}()
	m.dispatcher.Start()
	m.Logger.Info("listening", "addr", m.Addr)
	return nil
}

// handler builds the HTTP API with the configured rate limit.
func (m *Main) handler(perSecond float64, burst int) http.Handler {
	srv := httpapi.NewServer(m.Service, m.Logger, m.Config.PublicURL)
	srv.SetRateLimit(perSecond, burst)
	if err := srv.RegisterMetrics(m.dispatcher.Collectors()...); err != nil {
		m.Logger.Error("webhook metrics", "error", err)
	}
	return srv
}

// Close stops accepting, lets in-flight requests and webhook attempts finish (up to 30 s;
// unfinished attempts are given back for the next start or another instance), then closes the
// store.
func (m *Main) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stopped := make(chan error, 1)
	if m.dispatcher != nil {
		go func() { stopped <- m.dispatcher.Stop(ctx) }()
	} else {
		stopped <- nil
	}
	if m.server != nil {
		errs = append(errs, m.server.Shutdown(ctx))
	}
	errs = append(errs, <-stopped)
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}

// orgCommand runs `fieldwork org create --name N --owner EMAIL`.
func (m *Main) orgCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: fieldwork org create --name NAME --owner EMAIL")
	}
	fs := flag.NewFlagSet("org create", flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	name := fs.String("name", "", "organization name")
	owner := fs.String("owner", "", "email of the organization's Owner")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *name == "" || *owner == "" {
		return errors.New("usage: fieldwork org create --name NAME --owner EMAIL")
	}
	if err := m.openStore(ctx); err != nil {
		return err
	}
	defer m.Store.Close()
	org, user, secret, err := m.Service.CreateOrganization(ctx, *name, *owner, "")
	if err != nil {
		var fe *fieldwork.Error
		if errors.As(err, &fe) {
			return errors.New(fe.Message)
		}
		return err
	}
	fmt.Fprintf(stdout, "organization %s (%s) created; Owner %s\ntoken: %s\n", org.Name, org.ID, user.Email, secret)
	return nil
}
