package schemaregistry

import "context"

// storedConfig reads the config row at key (a subject or globalKey); nil when there is none.
func (r *Registry) storedConfig(ctx context.Context, key string) (*Config, error) {
	if c, ok := r.cache.config(key); ok || unstorable(key) {
		return c, nil
	}
	gen := r.cache.generation()
	cfg, err := r.store.config(ctx, key)
	if err != nil {
		return nil, storeError("read config", err)
	}
	r.cache.putConfig(key, cfg, gen)
	return cfg, nil
}

// GlobalConfig is the registry-wide config (BACKWARD unless changed).
func (r *Registry) GlobalConfig(ctx context.Context) (Config, error) {
	cfg, err := r.storedConfig(ctx, globalKey)
	return globalConfig(cfg), err
}

// globalConfig is the global config when its row holds cfg (nil: none).
func globalConfig(cfg *Config) Config {
	if cfg == nil {
		return Config{CompatibilityLevel: Backward}
	}
	out := *cfg
	if out.CompatibilityLevel == "" {
		out.CompatibilityLevel = Backward
	}
	return out
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
		global, err := r.scopeConfig(ctx, subject)
		if cfg == nil || err != nil {
			return global, err
		}
		out := *cfg
		out.CompatibilityLevel = global.CompatibilityLevel
		return out, nil
	}
	return *cfg, nil
}

// scopeConfig is the config that applies to subject where its own does not: its context's
// (":.staging:"; the global config in the default context), else the :.__GLOBAL: context's,
// else BACKWARD, as Confluent looks for it.
func (r *Registry) scopeConfig(ctx context.Context, subject string) (Config, error) {
	for _, key := range contextScopes(subject) {
		cfg, err := r.storedConfig(ctx, key)
		if err != nil || cfg != nil {
			return globalConfig(cfg), err
		}
	}
	return globalConfig(nil), nil
}

// effectiveConfig is the config that applies to subject, as Confluent merges a subject's config
// with the global one (its context's, see scopeConfig): level, policy, normalize,
// validateFields and compatibilityGroup each the subject's own when set, else the global one
// (level BACKWARD, policy STRICT by default); the alias, metadata and rule sets are the
// subject's when it has a config, else the global ones.
func (r *Registry) effectiveConfig(ctx context.Context, subject string) (Config, error) {
	global, err := r.scopeConfig(ctx, subject)
	if err != nil {
		return Config{}, err
	}
	own, err := r.storedConfig(ctx, subject)
	if err != nil || own == nil {
		return global, err
	}
	out := global
	out.Alias = own.Alias
	out.DefaultMetadata, out.OverrideMetadata = own.DefaultMetadata, own.OverrideMetadata
	out.DefaultRuleSet, out.OverrideRuleSet = own.DefaultRuleSet, own.OverrideRuleSet
	if own.CompatibilityLevel != "" {
		out.CompatibilityLevel = own.CompatibilityLevel
	}
	if own.CompatibilityPolicy != "" {
		out.CompatibilityPolicy = own.CompatibilityPolicy
	}
	if own.Normalize != nil {
		out.Normalize = own.Normalize
	}
	if own.ValidateFields != nil {
		out.ValidateFields = own.ValidateFields
	}
	if own.CompatibilityGroup != "" {
		out.CompatibilityGroup = own.CompatibilityGroup
	}
	return out, nil
}

// SetConfig changes the config of subject, or the global one when subject is "", and returns
// the config as it now is. An update that changes nothing answers the current config and
// writes nothing. A subject (or, for the global config, the registry) in READONLY or
// READONLY_OVERRIDE mode refuses with 42205, as Confluent's updateConfig does.
func (r *Registry) SetConfig(ctx context.Context, subject string, u ConfigUpdate) (Config, error) {
	key := globalKey
	if subject != "" {
		if err := validSubject(subject); err != nil {
			return Config{}, err
		}
		key = subject
	}
	if err := validateUpdate(&u); err != nil {
		return Config{}, err
	}
	if u.empty() {
		if subject == "" {
			return r.GlobalConfig(ctx)
		}
		return r.SubjectConfig(ctx, subject, true)
	}
	var out Config
	err := r.write(ctx, "update config", func(tx storeTx) (invalidation, error) {
		if err := refuseReadOnly(ctx, subject, tx.mode); err != nil {
			return invalidation{}, err
		}
		old, err := tx.config(ctx, key)
		if err != nil {
			return invalidation{}, err
		}
		if old == nil {
			old = &Config{}
		}
		out = u.apply(*old)
		return invalidation{configs: []string{key}}, tx.putConfig(ctx, key, out)
	})
	if err != nil {
		return Config{}, err
	}
	return out, nil
}

// validateUpdate checks and normalizes what u sets: levels and policies by name (42203), rule
// sets by Confluent's rules (42210), metadata and rules sorted as Confluent keeps them.
func validateUpdate(u *ConfigUpdate) error {
	if v := u.Compatibility.Value; v != nil {
		l, err := parseLevel(*v)
		if err != nil {
			return err
		}
		*v = l
	}
	if v := u.CompatibilityPolicy.Value; v != nil {
		p, err := parsePolicy(*v)
		if err != nil {
			return err
		}
		*v = p
	}
	for _, rs := range []*RuleSet{u.DefaultRuleSet.Value, u.OverrideRuleSet.Value} {
		if err := validateRuleSet(rs); err != nil {
			return err
		}
	}
	u.DefaultMetadata.Value = normalizeMetadata(u.DefaultMetadata.Value)
	u.OverrideMetadata.Value = normalizeMetadata(u.OverrideMetadata.Value)
	return nil
}

// DeleteConfig removes subject's config (or resets the global one when subject is "") and
// returns what it was. A subject without its own config is 40401, as Confluent answers; a
// read-only one 42205.
func (r *Registry) DeleteConfig(ctx context.Context, subject string) (Config, error) {
	key := globalKey
	if subject != "" {
		key = subject
	}
	if unstorable(key) {
		return Config{}, newError(CodeSubjectNotFound, "Subject '%s' not found: it has no subject-level config to delete.", subject)
	}
	var old Config
	err := r.write(ctx, "delete config", func(tx storeTx) (invalidation, error) {
		if err := refuseReadOnly(ctx, subject, tx.mode); err != nil {
			return invalidation{}, err
		}
		cfg, err := tx.deleteConfig(ctx, key)
		switch {
		case err != nil:
			return invalidation{}, err
		case subject == "":
			old = globalConfig(cfg)
		case cfg == nil:
			return invalidation{}, newError(CodeSubjectNotFound, "Subject '%s' not found: it has no subject-level config to delete.", subject)
		default:
			old = *cfg
		}
		return invalidation{configs: []string{key}}, nil
	})
	return old, err
}

// storedMode reads the mode row at key; "" when there is none.
func (r *Registry) storedMode(ctx context.Context, key string) (string, error) {
	if m, ok := r.cache.mode(key); ok || unstorable(key) {
		return m, nil
	}
	gen := r.cache.generation()
	mode, err := r.store.mode(ctx, key)
	if err != nil {
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

// effectiveMode is the mode that applies to subject, from the cache.
func (r *Registry) effectiveMode(ctx context.Context, subject string) (string, error) {
	return effectiveMode(ctx, subject, r.storedMode)
}

// effectiveMode is the mode that applies to subject, stored reading the mode rows ("" when
// none). A global READONLY_OVERRIDE wins over subject modes; otherwise the subject's own mode,
// else its context's (the global one in the default context), else the :.__GLOBAL: context's,
// else READWRITE.
func effectiveMode(ctx context.Context, subject string, stored func(ctx context.Context, key string) (string, error)) (string, error) {
	global, err := stored(ctx, globalKey)
	if err != nil {
		return "", err
	}
	if global == "" {
		global = ReadWrite
	}
	if global == ReadOnlyOverride || subject == "" {
		return global, nil
	}
	m, err := stored(ctx, subject)
	if err != nil || m != "" {
		return m, err
	}
	for _, key := range contextScopes(subject) {
		if m, err := stored(ctx, key); err != nil || m != "" {
			return m, err
		}
	}
	return ReadWrite, nil
}

// refuseReadOnly answers 42205 when subject may not be written, stored reading the mode rows.
func refuseReadOnly(ctx context.Context, subject string, stored func(ctx context.Context, key string) (string, error)) error {
	mode, err := effectiveMode(ctx, subject, stored)
	if err != nil {
		return err
	}
	if mode == ReadOnly || mode == ReadOnlyOverride {
		return errReadOnly(subject)
	}
	return nil
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
	err = r.write(ctx, "update mode", func(tx storeTx) (invalidation, error) {
		if m == Import && !force {
			current, err := effectiveMode(ctx, subject, tx.mode)
			if err != nil {
				return invalidation{}, err
			}
			if current != Import {
				n, err := tx.liveVersions(ctx, subject)
				if err != nil {
					return invalidation{}, err
				}
				if n > 0 {
					return invalidation{}, newError(CodeOperationNotPermitted, "Cannot import since found existing subjects: %d live versions exist; delete them or set the mode with force=true", n)
				}
			}
		}
		return invalidation{modes: []string{key}}, tx.setMode(ctx, key, m)
	})
	if err != nil {
		return "", err
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
	if unstorable(key) {
		return "", newError(CodeSubjectNotFound, "Subject '%s' not found: it has no subject-level mode to delete.", subject)
	}
	var old string
	err := r.write(ctx, "delete mode", func(tx storeTx) (invalidation, error) {
		var err error
		if old, err = tx.deleteMode(ctx, key); err != nil {
			return invalidation{}, err
		}
		if old == "" {
			if subject != "" {
				return invalidation{}, newError(CodeSubjectNotFound, "Subject '%s' not found: it has no subject-level mode to delete.", subject)
			}
			old = ReadWrite
		}
		return invalidation{modes: []string{key}}, nil
	})
	return old, err
}

// write runs f in one write transaction under the store's write lock. What f says it changed
// is announced to the other replicas in the same transaction and dropped from this one's
// caches.
func (r *Registry) write(ctx context.Context, op string, f func(tx storeTx) (invalidation, error)) error {
	var inv invalidation
	err := r.store.write(ctx, func(tx storeTx) error {
		changed, err := f(tx)
		if err != nil {
			return err
		}
		inv = changed
		return tx.changed(ctx, r.notice(inv))
	})
	if !inv.empty() {
		r.cache.invalidate(inv) // even after a failed commit: it may have happened
	}
	return storeError(op, err)
}

// Aliased is the subject that requests naming subject act on: the alias its own config sets
// (one step, as Confluent's AliasFilter rewrites the path once; an alias that names no context
// is in subject's), else subject itself.
func (r *Registry) Aliased(ctx context.Context, subject string) (string, error) {
	cfg, err := r.storedConfig(ctx, subject)
	if err != nil || cfg == nil || cfg.Alias == "" {
		return subject, err
	}
	return qualifyReference(contextOf(subject), cfg.Alias), nil
}
