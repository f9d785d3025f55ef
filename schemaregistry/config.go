package schemaregistry

import (
	"context"
	"database/sql"
	"errors"
)

// storedConfig reads the config row at key (a subject or globalKey); nil when there is none.
func (r *Registry) storedConfig(ctx context.Context, key string) (*Config, error) {
	if c, ok := r.cache.config(key); ok {
		return c, nil
	}
	gen := r.cache.generation()
	var level, policy sql.NullString
	var normalize sql.NullBool
	err := r.db.Read.QueryRowContext(ctx, "SELECT compatibility, compatibility_policy, normalize FROM sr_config WHERE subject = ?", key).
		Scan(&level, &policy, &normalize)
	var cfg *Config
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, storeError("read config", err)
	default:
		cfg = &Config{CompatibilityLevel: level.String, CompatibilityPolicy: policy.String}
		if normalize.Valid {
			cfg.Normalize = &normalize.Bool
		}
	}
	r.cache.putConfig(key, cfg, gen)
	return cfg, nil
}

// GlobalConfig is the registry-wide config (BACKWARD unless changed).
func (r *Registry) GlobalConfig(ctx context.Context) (Config, error) {
	cfg, err := r.storedConfig(ctx, globalKey)
	if err != nil || cfg == nil {
		return Config{CompatibilityLevel: Backward}, err
	}
	out := *cfg
	if out.CompatibilityLevel == "" {
		out.CompatibilityLevel = Backward
	}
	return out, nil
}

// SubjectConfig is subject's own config; without one it is 40408, or the global config when
// defaultToGlobal.
func (r *Registry) SubjectConfig(ctx context.Context, subject string, defaultToGlobal bool) (Config, error) {
	cfg, err := r.storedConfig(ctx, subject)
	if err != nil {
		return Config{}, err
	}
	if cfg == nil || cfg.CompatibilityLevel == "" {
		if !defaultToGlobal && cfg == nil {
			return Config{}, newError(CodeSubjectConfigNotFound, "Subject '%s' does not have subject-level compatibility configured; GET /config/%s?defaultToGlobal=true shows the level that applies", subject, subject)
		}
		global, err := r.GlobalConfig(ctx)
		if cfg == nil || err != nil {
			return global, err
		}
		out := *cfg
		out.CompatibilityLevel = global.CompatibilityLevel
		return out, nil
	}
	return *cfg, nil
}

// effectiveConfig is the config that applies to subject: each field its own when set, else
// the global one (level BACKWARD, policy STRICT by default).
func (r *Registry) effectiveConfig(ctx context.Context, subject string) (Config, error) {
	global, err := r.GlobalConfig(ctx)
	if err != nil {
		return Config{}, err
	}
	own, err := r.storedConfig(ctx, subject)
	if err != nil || own == nil {
		return global, err
	}
	out := global
	if own.CompatibilityLevel != "" {
		out.CompatibilityLevel = own.CompatibilityLevel
	}
	if own.CompatibilityPolicy != "" {
		out.CompatibilityPolicy = own.CompatibilityPolicy
	}
	if own.Normalize != nil {
		out.Normalize = own.Normalize
	}
	return out, nil
}

// SetConfig changes the config of subject, or the global one when subject is "".
func (r *Registry) SetConfig(ctx context.Context, subject string, u ConfigUpdate) (Config, error) {
	key := globalKey
	if subject != "" {
		if err := validSubject(subject); err != nil {
			return Config{}, err
		}
		key = subject
	}
	var level any
	if u.Compatibility != "" {
		l, err := parseLevel(u.Compatibility)
		if err != nil {
			return Config{}, err
		}
		u.Compatibility, level = l, l
	}
	var policy any
	if u.CompatibilityPolicy != "" {
		p, err := parsePolicy(u.CompatibilityPolicy)
		if err != nil {
			return Config{}, err
		}
		u.CompatibilityPolicy, policy = p, p
	}
	var normalize any
	if u.Normalize != nil {
		normalize = *u.Normalize
	}
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	_, err := r.db.Write.ExecContext(ctx, `INSERT INTO sr_config (subject, compatibility, compatibility_policy, normalize) VALUES (?, ?, ?, ?)
		ON CONFLICT (subject) DO UPDATE SET
			compatibility = coalesce(excluded.compatibility, compatibility),
			compatibility_policy = coalesce(excluded.compatibility_policy, compatibility_policy),
			normalize = coalesce(excluded.normalize, normalize)`, key, level, policy, normalize)
	r.cache.invalidate(invalidation{configs: []string{key}})
	if err != nil {
		return Config{}, storeError("update config", err)
	}
	return Config{CompatibilityLevel: u.Compatibility, CompatibilityPolicy: u.CompatibilityPolicy, Normalize: u.Normalize}, nil
}

// DeleteConfig removes subject's config (or resets the global one when subject is "") and
// returns what it was. A subject without its own config is 40401, as Confluent answers.
func (r *Registry) DeleteConfig(ctx context.Context, subject string) (Config, error) {
	key := globalKey
	if subject != "" {
		key = subject
	}
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	var old Config
	if subject == "" {
		g, err := r.GlobalConfig(ctx)
		if err != nil {
			return Config{}, err
		}
		old = g
	} else {
		cfg, err := r.storedConfig(ctx, key)
		if err != nil {
			return Config{}, err
		}
		if cfg == nil {
			return Config{}, newError(CodeSubjectNotFound, "Subject '%s' not found: it has no subject-level config to delete.", subject)
		}
		old = *cfg
	}
	_, err := r.db.Write.ExecContext(ctx, "DELETE FROM sr_config WHERE subject = ?", key)
	r.cache.invalidate(invalidation{configs: []string{key}})
	if err != nil {
		return Config{}, storeError("delete config", err)
	}
	return old, nil
}

// storedMode reads the mode row at key; "" when there is none.
func (r *Registry) storedMode(ctx context.Context, key string) (string, error) {
	if m, ok := r.cache.mode(key); ok {
		return m, nil
	}
	gen := r.cache.generation()
	var mode string
	err := r.db.Read.QueryRowContext(ctx, "SELECT mode FROM sr_mode WHERE subject = ?", key).Scan(&mode)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", storeError("read mode", err)
	}
	r.cache.putMode(key, mode, gen)
	return mode, nil
}

// GlobalMode is the registry-wide mode (READWRITE unless changed).
func (r *Registry) GlobalMode(ctx context.Context) (string, error) {
	m, err := r.storedMode(ctx, globalKey)
	if m == "" {
		m = ReadWrite
	}
	return m, err
}

// SubjectMode is subject's own mode; without one it is 40409, or the global mode when
// defaultToGlobal.
func (r *Registry) SubjectMode(ctx context.Context, subject string, defaultToGlobal bool) (string, error) {
	m, err := r.storedMode(ctx, subject)
	if err != nil {
		return "", err
	}
	if m != "" {
		return m, nil
	}
	if !defaultToGlobal {
		return "", newError(CodeSubjectModeNotFound, "Subject '%s' does not have subject-level mode configured; GET /mode/%s?defaultToGlobal=true shows the mode that applies", subject, subject)
	}
	return r.GlobalMode(ctx)
}

// effectiveMode is the mode that applies to subject. A global READONLY_OVERRIDE wins over
// subject modes; otherwise the subject's own mode, else the global one.
func (r *Registry) effectiveMode(ctx context.Context, subject string) (string, error) {
	global, err := r.GlobalMode(ctx)
	if err != nil || global == ReadOnlyOverride {
		return global, err
	}
	m, err := r.storedMode(ctx, subject)
	if err != nil || m != "" {
		return m, err
	}
	return global, nil
}

// SetMode changes the mode of subject, or the global one when subject is "". Entering IMPORT
// requires that no live versions exist in that scope, unless force.
func (r *Registry) SetMode(ctx context.Context, subject, mode string, force bool) (string, error) {
	key := globalKey
	if subject != "" {
		if err := validSubject(subject); err != nil {
			return "", err
		}
		key = subject
	}
	m, err := parseMode(mode)
	if err != nil {
		return "", err
	}
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	if m == Import && !force {
		current, err := r.effectiveMode(ctx, subject)
		if err != nil {
			return "", err
		}
		if current != Import {
			q, args := "SELECT count(*) FROM sr_versions WHERE deleted = 0", []any{}
			if subject != "" {
				q, args = q+" AND subject = ?", append(args, subject)
			}
			var n int
			if err := r.db.Read.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				return "", storeError("count versions", err)
			}
			if n > 0 {
				return "", newError(CodeOperationNotPermitted, "Cannot import since found existing subjects: %d live versions exist; delete them or set the mode with force=true", n)
			}
		}
	}
	_, err = r.db.Write.ExecContext(ctx, "INSERT INTO sr_mode (subject, mode) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET mode = excluded.mode", key, m)
	r.cache.invalidate(invalidation{modes: []string{key}})
	if err != nil {
		return "", storeError("update mode", err)
	}
	return m, nil
}

// DeleteMode removes subject's mode (or resets the global one when subject is "") and returns
// what it was. A subject without its own mode is 40401, as Confluent answers.
func (r *Registry) DeleteMode(ctx context.Context, subject string) (string, error) {
	key := globalKey
	if subject != "" {
		key = subject
	}
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	old, err := r.storedMode(ctx, key)
	if err != nil {
		return "", err
	}
	if old == "" {
		if subject != "" {
			return "", newError(CodeSubjectNotFound, "Subject '%s' not found: it has no subject-level mode to delete.", subject)
		}
		old = ReadWrite
	}
	_, err = r.db.Write.ExecContext(ctx, "DELETE FROM sr_mode WHERE subject = ?", key)
	r.cache.invalidate(invalidation{modes: []string{key}})
	if err != nil {
		return "", storeError("delete mode", err)
	}
	return old, nil
}
