package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/eventlens/eventlens/oidcauth"
	"github.com/eventlens/eventlens/storage"
)

// oidcFlags turn on single sign-on through an OpenID Connect provider.
type oidcFlags struct {
	OIDCIssuer        string   `name:"oidc-issuer" help:"OpenID Connect issuer URL (Keycloak realm, Dex, Entra ID tenant…); set, people sign in to the console through it. API keys keep working." env:"EVENTLENS_OIDC_ISSUER"`
	OIDCClientID      string   `name:"oidc-client-id" help:"The client id eventlens has at the provider." env:"EVENTLENS_OIDC_CLIENT_ID"`
	OIDCClientSecret  string   `name:"oidc-client-secret" help:"The client's secret (empty for a public client, which PKCE protects). Prefer the environment variable to the flag." env:"EVENTLENS_OIDC_CLIENT_SECRET"`
	OIDCRedirectURL   string   `name:"oidc-redirect-url" help:"eventlens' callback as registered at the provider: https://eventlens.example.com/auth/oidc/callback." env:"EVENTLENS_OIDC_REDIRECT_URL"`
	OIDCPostLogoutURL string   `name:"oidc-post-logout-url" help:"Where the provider sends the browser after its logout (register it there too); by default /login beside the redirect URL." env:"EVENTLENS_OIDC_POST_LOGOUT_URL"`
	OIDCScopes        []string `name:"oidc-scopes" help:"Scopes asked for beyond openid; add groups for Dex." default:"profile,email,offline_access" env:"EVENTLENS_OIDC_SCOPES"`
	OIDCRoleClaim     string   `name:"oidc-role-claim" help:"The ID token claim that holds the groups or roles, e.g. groups, roles, realm_access.roles." default:"groups" env:"EVENTLENS_OIDC_ROLE_CLAIM"`
	OIDCRoleMap       string   `name:"oidc-role-map" help:"Which groups or roles give which eventlens role, e.g. admins=admin,devs=write,staff=read; the strongest match wins, and a person with none is refused." env:"EVENTLENS_OIDC_ROLE_MAP"`
}

// start discovers the provider and returns the sign-in; nil (single sign-on off) without an
// issuer.
func (f oidcFlags) start(ctx context.Context, store *storage.DB) (*oidcauth.Auth, error) {
	if f.OIDCIssuer == "" {
		if f.OIDCClientID != "" || f.OIDCRoleMap != "" || f.OIDCRedirectURL != "" {
			return nil, errors.New("--oidc-client-id, --oidc-redirect-url and --oidc-role-map need --oidc-issuer")
		}
		return nil, nil
	}
	if f.OIDCRedirectURL == "" {
		return nil, errors.New("--oidc-issuer needs --oidc-redirect-url: eventlens' callback as registered at the provider, https://HOST/auth/oidc/callback")
	}
	roles, err := oidcauth.ParseRoleMap(f.OIDCRoleMap)
	if err != nil {
		return nil, fmt.Errorf("--oidc-role-map: %w", err)
	}
	postLogout := f.OIDCPostLogoutURL
	if postLogout == "" {
		u, err := url.Parse(f.OIDCRedirectURL)
		if err != nil {
			return nil, fmt.Errorf("--oidc-redirect-url %q: %w", f.OIDCRedirectURL, err)
		}
		postLogout = (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/login"}).String()
	}
	return oidcauth.New(ctx, store, oidcauth.Config{
		Issuer: f.OIDCIssuer, ClientID: f.OIDCClientID, ClientSecret: f.OIDCClientSecret,
		RedirectURL: f.OIDCRedirectURL, PostLogoutURL: postLogout, Scopes: f.OIDCScopes,
		RoleClaim: f.OIDCRoleClaim, Roles: roles,
	})
}
