package domain

import (
	"context"
	"errors"
	"fmt"

	"github.com/kpcheckout/kpcheckout/store"
)

// Owned reads the object id with read and answers it when merchant m owns it (owner says who
// does). Another merchant's object is not found, exactly as a missing one, so that an id tells
// nothing across merchants. Every read of a merchant's object by its id goes through it.
func Owned[T any](ctx context.Context, m *store.Merchant, what, id string, read func(context.Context, string) (T, error), owner func(T) string) (T, error) {
	var none T
	x, err := read(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && owner(x) != m.ID {
		return none, NotFound(what, id)
	}
	var refused *Error
	if err != nil && !errors.As(err, &refused) {
		err = fmt.Errorf("%s %s: %w", what, id, err)
	}
	if err != nil {
		return none, err
	}
	return x, nil
}

// Page reads a page of at most limit items with read, asked for one more so that it tells
// whether more follow.
func Page[T any](limit int, read func(limit int) ([]T, error)) (items []T, more bool, err error) {
	list, err := read(limit + 1)
	if err != nil {
		return nil, false, err
	}
	if len(list) > limit {
		return list[:limit], true, nil
	}
	return list, false, nil
}
