package web

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/alerts"
)

type alertsView struct {
	page
	Tab    string // firing, pending, resolved, or history
	Counts map[string]int
	Rows   []alerts.Alert
	List   listState
	Rules  int  // rules in the alerts file
	Off    bool // no alerts file
	Now    time.Time
}

// alertTabs are the tabs of /alerts: a state, or the history of every alert that fired.
var alertTabs = []navItem{
	{Key: alerts.StateFiring, Label: "Firing"},
	{Key: alerts.StatePending, Label: "Pending"},
	{Key: alerts.StateResolved, Label: "Resolved"},
	{Key: "history", Label: "History"},
}

const alertsPerPage = 50

// Alerts is /alerts?state=&page=: firing alerts by default, pending or resolved ones, or the
// history of every alert that fired, newest first.
func (p *Pages) Alerts(c echo.Context) error {
	v := alertsView{page: page{Title: "Alerts", Nav: "alerts"}, Tab: alerts.StateFiring, Now: p.now(), Off: p.AlertRules == nil}
	if s := c.QueryParam("state"); s != "" {
		if !slices.ContainsFunc(alertTabs, func(t navItem) bool { return t.Key == s }) {
			return echo.NewHTTPError(http.StatusBadRequest, "Unknown alert state "+s+": want firing, pending, resolved or history.")
		}
		v.Tab = s
	}
	if p.AlertRules != nil {
		v.Rules = len(p.AlertRules.Rules())
		v.Off = v.Rules == 0
	}
	if p.AlertRules == nil {
		return render(c, http.StatusOK, alertsPage(v))
	}
	v.List = readList(c, "/alerts", alertsPerPage, true, "active")
	state := v.Tab
	if state == "history" {
		state = ""
	}
	res, err := p.AlertRules.List(c.Request().Context(), alerts.Query{State: state, Offset: (v.List.Page - 1) * alertsPerPage, Limit: alertsPerPage})
	if errors.Is(err, alerts.ErrInvalidQuery) {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	if err != nil {
		return err
	}
	v.Rows, v.Counts = res.Alerts, res.Counts
	v.List.Total = res.Total
	return render(c, http.StatusOK, alertsPage(v))
}

func (v alertsView) tabHref(tab string) string { return "/alerts?state=" + tab }

func (v alertsView) count(tab string) int {
	if tab == "history" {
		return v.Counts[alerts.StateFiring] + v.Counts[alerts.StateResolved]
	}
	return v.Counts[tab]
}

// severityStatus and alertStatus give the badge classes the health page's statuses use.
func severityStatus(severity string) string {
	switch severity {
	case "critical":
		return "failing"
	case "warning":
		return "degraded"
	}
	return "silent"
}

func alertStatus(state string) string {
	switch state {
	case alerts.StateFiring:
		return "failing"
	case alerts.StatePending:
		return "degraded"
	}
	return "healthy"
}

// alertLabels writes an alert's labels as key=value, sorted.
func alertLabels(labels map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		out = append(out, k+"="+labels[k])
	}
	return out
}

// deliveryText says how a receiver's delivery stands.
func deliveryText(now time.Time, d alerts.Delivery) string {
	if d.Sent == d.Want {
		return "sent " + d.Sent
	}
	var b strings.Builder
	b.WriteString(d.Want + " not sent yet")
	if d.Attempts > 0 {
		b.WriteString(", " + itoa(d.Attempts) + " attempts")
		if !d.NextAttempt.IsZero() && d.NextAttempt.After(now) {
			b.WriteString(", next in " + d.NextAttempt.Sub(now).Round(time.Second).String())
		}
	}
	return b.String()
}
