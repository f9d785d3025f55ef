// Package oidcauth signs people in to the console through an OpenID Connect provider (Keycloak,
// Dex, Entra ID, Okta…): the authorization code flow with PKCE, the ID token's checks, the
// mapping from a claim's groups or roles onto eventlens' read, write and admin, refresh and
// logout. It knows no HTTP framework: the server turns its calls and errors into pages.
package oidcauth
