package main

import (
	"context"
	"fmt"
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
	Create keysCreateCmd `cmd:"" help:"Create an API key; its secret is printed once, on the last line."`
	List   keysListCmd   `cmd:"" help:"List API keys (never their secrets)."`
	Revoke keysRevokeCmd `cmd:"" help:"Revoke an API key; a running server stops accepting it within seconds."`
}

type keysCreateCmd struct {
	Role string `help:"What the key may do: read (pages, GET APIs), write (also register schemas, send spans, import), admin (also config, mode, deletes)." enum:"read,write,admin" required:""`
	Name string `help:"What the key is for, e.g. ci or checkout-service." required:""`
	dbFlag
}

func (c keysCreateCmd) Run(e env) error {
	keys, closeDB, err := c.keys(e.ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	role, err := apikeys.ParseRole(c.Role)
	if err != nil {
		return err
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
