package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// send posts one alert to a receiver in its format; any answer but 2xx is a failure.
func (a *Alerts) send(ctx context.Context, r Receiver, al Alert) error {
	body, err := a.payload(r, al)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("POST %s: %w", redactURL(r.URL), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "eventlens-alerts")
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		// url.Error repeats the URL, and a webhook's URL is its secret.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("POST %s: %w", redactURL(r.URL), err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := strings.TrimSpace(strings.ToValidUTF8(string(answer), "�"))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return fmt.Errorf("POST %s: HTTP %d %s", redactURL(r.URL), resp.StatusCode, msg)
	}
	return nil
}

// payload is the body of a notification in the receiver's format.
func (a *Alerts) payload(r Receiver, al Alert) ([]byte, error) {
	var v any
	switch r.Format {
	case FormatSlack:
		v = slackMessage(al, a.pageURL(al))
	case FormatAlertmanager:
		v = alertmanagerMessage(r.Name, al, a.cfg.ExternalURL, a.pageURL(al))
	default:
		v = jsonMessage(r.Name, al, a.pageURL(al))
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("notification of alert %s: %w", al.ID, err)
	}
	return body, nil
}

// pageURL links the alert's list on /alerts, when the file gives this eventlens' address.
func (a *Alerts) pageURL(al Alert) string {
	if a.cfg.ExternalURL == "" {
		return ""
	}
	return strings.TrimSuffix(a.cfg.ExternalURL, "/") + "/alerts?state=" + url.QueryEscape(al.State)
}

// JSONMessage is the generic format's body: one alert.
type JSONMessage struct {
	Version  string    `json:"version"` // "1"
	Receiver string    `json:"receiver"`
	Status   string    `json:"status"` // firing or resolved
	Alert    JSONAlert `json:"alert"`
}

// JSONAlert is the alert in a JSONMessage.
type JSONAlert struct {
	ID          string            `json:"id"`
	Fingerprint string            `json:"fingerprint"`
	Rule        string            `json:"rule"`
	Kind        string            `json:"kind"`
	Severity    string            `json:"severity"`
	Summary     string            `json:"summary"`
	Labels      map[string]string `json:"labels"`
	Owner       *Owner            `json:"owner,omitempty"`
	ActiveAt    time.Time         `json:"activeAt"`
	FiredAt     time.Time         `json:"firedAt"`
	ResolvedAt  *time.Time        `json:"resolvedAt,omitempty"`
	URL         string            `json:"url,omitempty"`
}

func jsonMessage(receiver string, al Alert, link string) JSONMessage {
	m := JSONMessage{Version: "1", Receiver: receiver, Status: al.State, Alert: JSONAlert{
		ID: al.ID, Fingerprint: al.Fingerprint, Rule: al.Rule, Kind: al.Kind, Severity: al.Severity, Summary: al.Summary,
		Labels: al.Labels, ActiveAt: al.ActiveAt, FiredAt: al.FiredAt, URL: link}}
	if al.Owner.Name != "" {
		m.Alert.Owner = &al.Owner
	}
	if al.State == StateResolved {
		m.Alert.ResolvedAt = &al.ResolvedAt
	}
	return m
}

// AlertmanagerMessage is the body Alertmanager's webhook_config sends (version 4), so that
// receivers written for Alertmanager read eventlens' alerts unchanged: one alert per message.
type AlertmanagerMessage struct {
	Version           string              `json:"version"`
	GroupKey          string              `json:"groupKey"`
	TruncatedAlerts   int                 `json:"truncatedAlerts"`
	Status            string              `json:"status"`
	Receiver          string              `json:"receiver"`
	GroupLabels       map[string]string   `json:"groupLabels"`
	CommonLabels      map[string]string   `json:"commonLabels"`
	CommonAnnotations map[string]string   `json:"commonAnnotations"`
	ExternalURL       string              `json:"externalURL"`
	Alerts            []AlertmanagerAlert `json:"alerts"`
}

// AlertmanagerAlert is one alert of an AlertmanagerMessage.
type AlertmanagerAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"` // the zero time (0001-01-01T00:00:00Z) while firing, as Alertmanager sends
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

func alertmanagerMessage(receiver string, al Alert, externalURL, link string) AlertmanagerMessage {
	labels := map[string]string{"alertname": al.Rule, "severity": al.Severity, "kind": al.Kind}
	for k, v := range al.Labels {
		labels[k] = v
	}
	annotations := compact(map[string]string{"summary": al.Summary, "owner": al.Owner.Name, "owner_email": al.Owner.Email, "owner_url": al.Owner.URL})
	if al.Owner.Name != "" {
		labels["owner"] = al.Owner.Name
	}
	var ends time.Time
	if al.State == StateResolved {
		ends = al.ResolvedAt
	}
	return AlertmanagerMessage{
		Version: "4", GroupKey: fmt.Sprintf("{}:{alertname=%q}", al.Rule), Status: al.State, Receiver: receiver,
		GroupLabels: map[string]string{"alertname": al.Rule}, CommonLabels: labels, CommonAnnotations: annotations,
		ExternalURL: externalURL,
		Alerts: []AlertmanagerAlert{{Status: al.State, Labels: labels, Annotations: annotations, StartsAt: al.FiredAt, EndsAt: ends,
			GeneratorURL: link, Fingerprint: al.Fingerprint}},
	}
}

// SlackMessage is a Slack incoming webhook's body: the text, and the same as a Block Kit
// section.
type SlackMessage struct {
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks"`
}

// SlackBlock is a Block Kit block: a section or a context.
type SlackBlock struct {
	Type     string      `json:"type"`
	Text     *SlackText  `json:"text,omitempty"`
	Elements []SlackText `json:"elements,omitempty"`
}

// SlackText is a Block Kit text object.
type SlackText struct {
	Type string `json:"type"` // mrkdwn
	Text string `json:"text"`
}

func slackMessage(al Alert, link string) SlackMessage {
	state := strings.ToUpper(al.State)
	head := fmt.Sprintf("[%s] %s (%s)", state, slackEscape(al.Rule), al.Severity)
	lines := []string{"*" + head + "*", slackEscape(al.Summary)}
	if al.Owner.Name != "" {
		owner := slackEscape(al.Owner.Name)
		if al.Owner.Email != "" {
			owner += " (" + slackEscape(al.Owner.Email) + ")"
		}
		lines = append(lines, "Owner: "+owner)
	}
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(al.Labels)) {
		labels = append(labels, k+"="+slackEscape(al.Labels[k]))
	}
	context := "Since " + al.FiredAt.UTC().Format(time.RFC3339)
	if al.State == StateResolved {
		context += ", resolved " + al.ResolvedAt.UTC().Format(time.RFC3339)
	}
	if len(labels) > 0 {
		context += " · " + strings.Join(labels, ", ")
	}
	if link != "" {
		context += " · <" + slackEscape(link) + "|eventlens>"
	}
	return SlackMessage{
		Text: head + ": " + slackEscape(al.Summary),
		Blocks: []SlackBlock{
			{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: strings.Join(lines, "\n")}},
			{Type: "context", Elements: []SlackText{{Type: "mrkdwn", Text: context}}},
		},
	}
}

// slackEscape escapes what Slack's mrkdwn reads as markup: &, < and > (links, mentions).
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
