package server

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSchemas walks the schema pages as a person does: the list, a subject, a diff
// between two of its versions picked in the form.
func TestBrowserSchemas(t *testing.T) {
	ts := startServer(t)
	fillSchemas(t, ts)
	b := newBrowser(t)

	if status := b.open(t, ts.URL+"/schemas"); status != 200 {
		t.Fatalf("/schemas: HTTP %d", status)
	}
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="subject-row"]').length`))
	if err != nil || rows != 8 {
		t.Fatalf("/schemas shows %d subjects (%v), want 8", rows, err)
	}
	b.screenshot(t, "schemas")

	// Sort by latest version, newest first, by clicking the header twice.
	if err := chromedp.Do(b.ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="sort-version"]`)),
		chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="ascending"] [data-testid="sort-version"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="sort-version"]`)),
		chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="descending"] [data-testid="sort-version"]`)),
	); err != nil {
		t.Fatalf("sort by version: %v", err)
	}
	first, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(`[data-testid="subject-row"] .sr-subject a`)))
	if err != nil || first != "orders-value" {
		t.Errorf("sorted by version, newest first, the list starts with %q (%v)", first, err)
	}

	// Click a subject.
	if err := chromedp.Do(b.ctx,
		chromedp.Click(chromedp.CSS(`a[href="/schemas/orders-value"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="subject-name"]`)),
	); err != nil {
		t.Fatalf("open a subject: %v", err)
	}
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); loc != ts.URL+"/schemas/orders-value" {
		t.Errorf("clicking the subject went to %q", loc)
	}
	versions, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="version"]').length`))
	if err != nil || versions != 3 {
		t.Errorf("subject page lists %d versions (%v), want 3", versions, err)
	}
	keys, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="schema-text"] .tok-key').length`))
	if err != nil || keys < 5 {
		t.Errorf("the schema has %d highlighted keys (%v)", keys, err)
	}
	b.screenshot(t, "subject")

	// Pick versions 1 and 3 in the form and compare.
	if err := chromedp.Do(b.ctx,
		chromedp.SetValue(chromedp.CSS(`[data-testid="diff-from"]`), "1"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="diff-to"]`), "3"),
		chromedp.Click(chromedp.CSS(`[data-testid="diff-form"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="verdict"]`)),
	); err != nil {
		t.Fatalf("open a diff: %v", err)
	}
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); loc != ts.URL+"/schemas/orders-value/diff?from=1&to=3" {
		t.Errorf("the form went to %q", loc)
	}
	verdict, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(`[data-testid="verdict"]`), "data-verdict"))
	if err != nil || verdict.Value != "incompatible" {
		t.Errorf("verdict %q (%v), want incompatible", verdict.Value, err)
	}
	listed, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="change"]')].map(r =>
		r.dataset.field + ' ' + r.dataset.type + ' ' + r.dataset.verdict + ': ' + r.querySelector('.chg-what').textContent)`))
	if want := []string{"Order.total FIELD_ADDED compatible: Field added: double, default 0",
		"Order.currency FIELD_ADDED breaking: Field added: string, no default"}; err != nil || !slices.Equal(listed, want) {
		t.Errorf("changes %q (%v), want %q", listed, err, want)
	}
	marked, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="new-changed"]').length`))
	if err != nil || marked != 4 { // the total field: ",", and the currency field's three lines, lined up as changed
		t.Logf("changed lines on the new side: %d (%v)", marked, err)
	}
	if marked == 0 {
		t.Errorf("no changed line is marked")
	}
	b.screenshot(t, "diff")

	// A JSON Schema diff lists compatible changes too.
	b.open(t, ts.URL+"/schemas/customers-value/diff?from=1&to=2")
	changes, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(`[data-testid="changes"]`)))
	if err != nil || !strings.Contains(changes, "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL") || !strings.Contains(changes, "compatible") {
		t.Errorf("JSON Schema changes: %q (%v)", changes, err)
	}
	b.screenshot(t, "diff-json")
	b.open(t, ts.URL+"/schemas/payments-value")
	b.screenshot(t, "subject-protobuf")

	// A name like a script tag is text.
	b.open(t, ts.URL+"/schemas/"+url.PathEscape(xssName)+"/diff?from=1&to=2")
	title, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(`[data-testid="diff-title"]`)))
	if err != nil || !strings.Contains(title, xssName) {
		t.Errorf("the diff title shows %q (%v), want the name as text", title, err)
	}
	scripts, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('main script').length`))
	if err != nil || scripts != 0 {
		t.Errorf("%d script elements in the page (%v)", scripts, err)
	}
	b.screenshot(t, "diff-escaped")

	// An empty registry says how to fill it.
	empty := startServer(t)
	b.open(t, empty.URL+"/schemas")
	if text, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(`[data-testid="schemas-empty"]`))); err != nil || !strings.Contains(text, "schema.registry.url="+empty.URL) {
		t.Errorf("empty registry: %q (%v)", text, err)
	}
	b.screenshot(t, "schemas-empty")

	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
