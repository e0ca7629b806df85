package views

import (
	"context"
	"io"

	"github.com/a-h/templ"
)

// minutesFormat is the template data of the countdown's announcements: the page's script puts the
// minutes where "%d" is. Read only.
var minutesFormat = map[string]any{"Minutes": "%d"}

// checkoutClass is the checkout element's class as a plain attribute: a class={…} expression goes
// through templ's CSS class processing, a map and a sort for every page.
func checkoutClass(p CheckoutModel) templ.OrderedAttributes {
	return templ.OrderedAttributes{{Key: "class", Value: "checkout view-" + p.View}}
}

// msg is a message written as text: templ writes { T(ctx, id) } through fmt.Sprint, two
// allocations a message, and @msg(id) with none.
type msg string

// Render writes the message in the request's language, escaped.
func (m msg) Render(ctx context.Context, w io.Writer) error {
	_, err := io.WriteString(w, templ.EscapeString(T(ctx, string(m))))
	return err
}
