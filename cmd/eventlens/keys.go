package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/storage"
)

// dbFlag names the store of commands that work on it directly.
type dbFlag struct {
	DB string `name:"db" help:"The eventlens server's store: its SQLite file, or a postgres:// URL." default:"./eventlens.db" env:"EVENTLENS_DB"`
}

func (f dbFlag) keys(ctx context.Context) (*apikeys.Keys, func() error, error) {
	db, err := storage.Open(ctx, f.DB)
	if err != nil {
		return nil, nil, err
	}
	return apikeys.New(db), db.Close, nil
}

type keysCmd struct {
	Create keysCreateCmd `cmd:"" help:"Create an API key; its secret is printed once, on the last line. With --id and --secret-file, create the key given unless it exists (for deployments)."`
	List   keysListCmd   `cmd:"" help:"List API keys (never their secrets)."`
	Revoke keysRevokeCmd `cmd:"" help:"Revoke an API key; a running server stops accepting it within seconds."`
}

type keysCreateCmd struct {
	Role string `help:"What the key may do: read (pages, GET APIs), write (also register schemas, send spans, import), admin (also config, mode, deletes)." enum:"read,write,admin" required:""`
	Name string `help:"What the key is for, e.g. ci or checkout-service." required:""`
	// A deployment keeps the secret in its own secret store (a Kubernetes Secret) and runs this at
	// every start, so the key must come from there and creating it twice must do nothing.
	ID         string `name:"id" help:"With --secret-file: the key's id (elk_…), the user name for HTTP Basic." env:"EVENTLENS_KEY_ID"`
	SecretFile string `name:"secret-file" help:"Take the secret from this file (one line, 32 to 1024 printable characters) instead of making one, and do nothing when the key exists already. Needs --id." env:"EVENTLENS_KEY_SECRET_FILE"`
	dbFlag
}

func (c keysCreateCmd) Run(e env) error {
	role, err := apikeys.ParseRole(c.Role)
	if err != nil {
		return err
	}
	if (c.ID == "") != (c.SecretFile == "") {
		return errors.New("--id and --secret-file go together: the id of a key whose secret is in the file")
	}
	var given []byte
	if c.SecretFile != "" {
		if given, err = os.ReadFile(c.SecretFile); err != nil {
			return fmt.Errorf("read the key's secret: %w", err)
		}
	}
	keys, closeDB, err := c.keys(e.ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	if c.SecretFile != "" {
		return c.provision(e, keys, role, strings.TrimRight(string(given), "\r\n"))
	}
	key, secret, err := keys.Create(e.ctx, c.Name, role)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "Created API key %s (%s, role %s).\n"+
		"Use the key id as user name and the secret as password (HTTP Basic), or the secret as a Bearer token.\n"+
		"The secret is shown only now:\n%s\n", key.ID, key.Name, key.Role, secret)
	return err
}

// provision creates the key named by --id with the secret from --secret-file unless it exists;
// it never prints the secret.
func (c keysCreateCmd) provision(e env, keys *apikeys.Keys, role apikeys.Role, secret string) error {
	created, err := keys.Provision(e.ctx, c.ID, c.Name, role, secret)
	if err != nil {
		return err
	}
	state := "exists already; nothing to do"
	if created {
		state = "created with the secret from " + c.SecretFile
	}
	_, err = fmt.Fprintf(e.stdout, "API key %s (%s, role %s) %s.\n", c.ID, c.Name, role, state)
	return err
}

type keysListCmd struct {
	dbFlag
}

func (c keysListCmd) Run(e env) error {
	keys, closeDB, err := c.keys(e.ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	list, err := keys.List(e.ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tROLE\tCREATED\tREVOKED")
	for _, k := range list {
		revoked := "-"
		if k.RevokedAt != nil {
			revoked = k.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, k.CreatedAt.Format(time.RFC3339), revoked)
	}
	return w.Flush()
}

type keysRevokeCmd struct {
	ID string `arg:"" help:"The key id (elk_…)."`
	dbFlag
}

func (c keysRevokeCmd) Run(e env) error {
	keys, closeDB, err := c.keys(e.ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := keys.Revoke(e.ctx, c.ID); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "Revoked %s.\n", c.ID)
	return err
}
