package sqlitedb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/eventlens/eventlens/migrations"
)

func openTemp(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return db
}

func TestOpenFreshAndExisting(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "eventlens.db")

	db := openTemp(t, path)
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("fresh database not ready: %v", err)
	}
	var created string
	if err := db.Read.QueryRow("SELECT created_at FROM instance").Scan(&created); err != nil || created == "" {
		t.Fatalf("instance row after first migration: %q, %v", created, err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	// Opening again applies nothing twice and keeps the data.
	db = openTemp(t, path)
	defer db.Close()
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("reopened database not ready: %v", err)
	}
	var again string
	if err := db.Read.QueryRow("SELECT created_at FROM instance").Scan(&again); err != nil || again != created {
		t.Fatalf("instance row after reopen: %q, %v; want %q", again, err, created)
	}
	var applied int
	if err := db.Read.QueryRow("SELECT count(*) FROM goose_db_version WHERE version_id = ?", db.migration).Scan(&applied); err != nil || applied != 1 {
		t.Fatalf("newest migration recorded %d times (%v), want once", applied, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eventlens.db")
	db := openTemp(t, path)
	// Pretend a newer eventlens applied a migration this binary does not know.
	if _, err := db.Write.Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)", db.migration+1000); err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, err := Open(context.Background(), path)
	if !errors.Is(err, migrations.ErrNewerSchema) {
		t.Fatalf("open newer database: got %v, want ErrNewerSchema", err)
	}
}

func TestOpenRefusesNonDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("this is not an SQLite database, just some text that is long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), path); err == nil {
		t.Fatal("opening a text file as a database succeeded")
	}
}

func TestReadPoolIsReadOnly(t *testing.T) {
	db := openTemp(t, filepath.Join(t.TempDir(), "eventlens.db"))
	defer db.Close()
	if _, err := db.Read.Exec("UPDATE instance SET created_at = 'x'"); err == nil {
		t.Fatal("write through the read pool succeeded")
	}
}

func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTemp(t, filepath.Join(dir, "eventlens.db"))
	defer db.Close()
	if _, err := db.Write.Exec("CREATE TABLE notes (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	wrote := make(chan int)
	go func() { // a writer that keeps committing while the backup runs
		n := 0
		for {
			select {
			case <-stop:
				wrote <- n
				return
			default:
			}
			if _, err := db.Write.Exec("INSERT INTO notes VALUES (?)", n); err != nil {
				t.Error(err)
			}
			n++
		}
	}()
	dest := filepath.Join(dir, "backup.db")
	err := db.Backup(ctx, dest)
	close(stop)
	total := <-wrote
	if err != nil {
		t.Fatal(err)
	}

	copy := openTemp(t, dest)
	defer copy.Close()
	if err := copy.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := copy.Read.QueryRow("SELECT count(*) FROM notes").Scan(&n); err != nil || n > total {
		t.Fatalf("backup holds %d notes (%v) of %d written", n, err, total)
	}
	if err := db.Backup(ctx, dest); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
}
