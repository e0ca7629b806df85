package handlers

import (
	"bytes"
	"fmt"
	"image/png"
	"testing"
)

func TestQRCodesDrawEachAttemptOnce(t *testing.T) {
	q := newQRCodes()
	first, err := q.get("att_1", "https://wallet.example/att_1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(first)); err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	// An attempt's mobile URL never changes: the second look-up is the first drawing.
	again, _ := q.get("att_1", "https://wallet.example/changed")
	if &again[0] != &first[0] {
		t.Error("the QR code of att_1 was drawn twice")
	}
	if other, _ := q.get("att_2", "https://wallet.example/att_2"); bytes.Equal(other, first) {
		t.Error("two attempts share a QR code")
	}

	for i := len(q.png); i < maxQRCodes; i++ {
		q.png[fmt.Sprint("att_old_", i)] = first
	}
	if _, err := q.get("att_new", "https://wallet.example/att_new"); err != nil {
		t.Fatal(err)
	}
	if n := len(q.png); n != 1 {
		t.Errorf("%d QR codes kept past the bound of %d, want only the newest", n, maxQRCodes)
	}
}
