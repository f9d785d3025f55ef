// Package alerts is eventlens' own alerting, for teams without an Alertmanager: rules read
// from a YAML file (a consumer failing, silent or lagging; dead letters growing; drift; a
// registration refused as incompatible; a subject no catalog document owns), evaluated over
// consumer health, the catalog and the registry, and notifications sent to webhooks (a generic
// JSON body, Slack's incoming webhooks, Alertmanager's webhook format).
//
// An alert is one episode of a rule's condition holding for one thing (a consumer, a subject,
// a drift finding): pending until the condition has held for the rule's for-duration, then
// firing, then resolved when it no longer holds. Alerts and what each receiver was last sent
// live in the store, so a restart neither forgets a firing alert nor sends it again, and on
// PostgreSQL one replica (pgdb.Leader) evaluates and sends while every replica shows them.
package alerts
