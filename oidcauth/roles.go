package oidcauth

import (
	"fmt"
	"strings"

	"github.com/eventlens/eventlens/apikeys"
)

// ParseRoleMap reads "admins=admin,devs=write,staff=read": each group or role the provider
// names, then the eventlens role it gives. A name may hold '=' (the last one separates); it
// may not hold ','.
func ParseRoleMap(s string) (map[string]apikeys.Role, error) {
	m := map[string]apikeys.Role{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.LastIndex(item, "=")
		if i <= 0 {
			return nil, fmt.Errorf("role map entry %q: want group=role, e.g. admins=admin", item)
		}
		group, roleName := strings.TrimSpace(item[:i]), strings.TrimSpace(item[i+1:])
		role, err := apikeys.ParseRole(roleName)
		if err != nil {
			return nil, fmt.Errorf("role map entry %q: %w", item, err)
		}
		if _, dup := m[group]; dup {
			return nil, fmt.Errorf("role map names %q twice", group)
		}
		m[group] = role
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("the role map is empty: want group=role pairs, e.g. admins=admin,devs=write,staff=read")
	}
	return m, nil
}

// claimValues finds the claim at path (dots go into objects, as Keycloak's
// realm_access.roles) and returns its strings: a string claim is one value, a list of
// strings many. Anything else holds none.
func claimValues(claims map[string]any, path string) []string {
	var v any = claims
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok = obj[part]; !ok {
			return nil
		}
	}
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// mapRole gives the strongest role any of the values maps to, or RoleNone.
func mapRole(roles map[string]apikeys.Role, values []string) apikeys.Role {
	best := apikeys.RoleNone
	for _, v := range values {
		if r := roles[v]; r > best {
			best = r
		}
	}
	return best
}

// displayName is what the console's header shows for the person the claims describe.
func displayName(claims map[string]any, subject string) string {
	for _, c := range []string{"preferred_username", "email", "name"} {
		if s, ok := claims[c].(string); ok && strings.TrimSpace(s) != "" {
			return s
		}
	}
	return subject
}
