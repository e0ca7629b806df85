package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// ms stores times as Unix milliseconds, the same in both backends.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// msOrZero stores an unset time as 0.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// fromMSOrZero reads a time msOrZero stored.
func fromMSOrZero(v int64) time.Time {
	if v <= 0 {
		return time.Time{}
	}
	return fromMS(v)
}

// nullMS stores an unset time as NULL.
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

// fromNullMS reads a time nullMS stored.
func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// itemRow is how an item is kept in the items column of checkouts and links.
type itemRow struct {
	Name      string `json:"name"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

// itemsAndMetaJSON encodes the items and metadata columns of a checkout or a link: [] and {}
// when there are none. Strings and numbers always encode.
func itemsAndMetaJSON(items []store.Item, meta map[string]string) (string, string) {
	it := make([]itemRow, 0, len(items))
	for _, x := range items {
		it = append(it, itemRow(x))
	}
	if meta == nil {
		meta = map[string]string{}
	}
	b, _ := json.Marshal(it)
	m, _ := json.Marshal(meta)
	return string(b), string(m)
}

// decodeItemsAndMeta reads the items and metadata columns of a checkout or a link; no items
// are nil.
func decodeItemsAndMeta(id, items, meta string) ([]store.Item, map[string]string, error) {
	var rows []itemRow
	if err := json.Unmarshal([]byte(items), &rows); err != nil {
		return nil, nil, fmt.Errorf("items of %s: %w", id, err)
	}
	var list []store.Item
	for _, it := range rows {
		list = append(list, store.Item(it))
	}
	var md map[string]string
	if err := json.Unmarshal([]byte(meta), &md); err != nil {
		return nil, nil, fmt.Errorf("metadata of %s: %w", id, err)
	}
	return list, md, nil
}

// stringsJSON encodes a list of strings (an endpoint's enabled events) as a JSON array, null
// when nil; a list of strings always encodes.
func stringsJSON(list []string) string {
	b, _ := json.Marshal(list)
	return string(b)
}
