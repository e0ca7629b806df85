// Package views holds kpcheckout's templ components. They get plain view-model structs and
// find the request-wide things (localizer, site settings) in the context.
package views

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Localizer translates message ids for one language. It is safe for concurrent use, and meant to
// be shared: it remembers the messages it translated without template data (a page asks for
// dozens, and each go-i18n look-up allocates).
type Localizer struct {
	Lang  string // "ko" or "en"
	l     *i18n.Localizer
	plain sync.Map // message id → its text, for messages asked without data
	parse messageParser
}

// NewLocalizer returns a Localizer for lang over bundle.
func NewLocalizer(bundle *i18n.Bundle, lang string) *Localizer {
	return &Localizer{Lang: lang, l: i18n.NewLocalizer(bundle, lang)}
}

// T translates id with optional template data; an unknown id comes back as itself.
func (l *Localizer) T(id string, data map[string]any) string {
	if data == nil {
		if s, ok := l.plain.Load(id); ok {
			return s.(string)
		}
	}
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, TemplateParser: &l.parse})
	if err != nil {
		return id
	}
	if data == nil {
		l.plain.Store(id, s)
	}
	return s
}

// N translates id in the plural form for count (data may use it too).
func (l *Localizer) N(id string, count int, data map[string]any) string {
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: data, TemplateParser: &l.parse})
	if err != nil {
		return id
	}
	return s
}

// Nf translates id in the plural form for count with data that is the same at every call (a
// format the page's script fills in), remembered as T remembers plain messages.
func (l *Localizer) Nf(id string, count int, data map[string]any) string {
	key := pluralKey{id, count}
	if s, ok := l.plain.Load(key); ok {
		return s.(string)
	}
	s := l.N(id, count, data)
	l.plain.Store(key, s)
	return s
}

// pluralKey is where Nf remembers a message's plural form.
type pluralKey struct {
	id    string
	count int
}

// DateTime writes a moment in Korea's time, as the language writes it: "2026년 12월 1일 15:04"
// or "Dec 1, 2026, 15:04 KST".
func (l *Localizer) DateTime(t time.Time) string {
	t = t.In(time.FixedZone("KST", 9*60*60))
	if l.Lang == "en" {
		return t.Format("Jan 2, 2006, 15:04 MST")
	}
	return t.Format("2006년 1월 2일 15:04")
}

// Has reports whether id has a message.
func (l *Localizer) Has(id string) bool {
	_, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: id})
	return err == nil
}

// Won writes an amount as KRW is written in the language: 11,000원 or ₩11,000.
func (l *Localizer) Won(amount int64) string {
	s := groupThousands(amount)
	if l.Lang == "en" {
		if strings.HasPrefix(s, "-") {
			return "-₩" + s[1:]
		}
		return "₩" + s
	}
	return s + "원"
}

// Number writes a whole number as a form shows it back, with thousands separators: 2,000,000
// (forms read them back).
func Number(n int64) string { return groupThousands(n) }

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Site is what every page needs to know about the running server.
type Site struct {
	TestMode bool
	CSSURL   string
	JSURL    string
}

type ctxKey int

const (
	localizerKey ctxKey = iota
	siteKey
)

// WithRequest stores the localizer and site settings of a request in ctx.
func WithRequest(ctx context.Context, l *Localizer, s Site) context.Context {
	return context.WithValue(context.WithValue(ctx, localizerKey, l), siteKey, s)
}

// L returns the request's localizer (Korean with no messages when none was stored).
func L(ctx context.Context) *Localizer {
	if l, ok := ctx.Value(localizerKey).(*Localizer); ok {
		return l
	}
	return &Localizer{Lang: "ko", l: i18n.NewLocalizer(i18n.NewBundle(language.Korean), "ko")}
}

// T translates id in the request's language.
func T(ctx context.Context, id string) string { return L(ctx).T(id, nil) }

// Td translates id with template data.
func Td(ctx context.Context, id string, data map[string]any) string { return L(ctx).T(id, data) }

// Tf translates id in the plural form for count, with template data that is the same at every
// call (see Localizer.Nf).
func Tf(ctx context.Context, id string, count int, data map[string]any) string {
	return L(ctx).Nf(id, count, data)
}

// Tn translates id in the plural form for count, with template data.
func Tn(ctx context.Context, id string, count int, data map[string]any) string {
	return L(ctx).N(id, count, data)
}

// Won formats an amount in the request's language.
func Won(ctx context.Context, amount int64) string { return L(ctx).Won(amount) }

// SiteOf returns the request's site settings.
func SiteOf(ctx context.Context) Site {
	s, _ := ctx.Value(siteKey).(Site)
	return s
}
