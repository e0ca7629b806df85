package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"testing"
)

func TestQRCodesDrawEachAttemptOnce(t *testing.T) {
	q := NewQRCodes()
	first, err := q.Get("att_1", "https://wallet.example/att_1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(first.PNG)); err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if want := "data:image/png;base64," + base64.StdEncoding.EncodeToString(first.PNG); first.DataURI != want {
		t.Error("the data: URI is not the PNG's")
	}
	// An attempt's mobile URL never changes: the second look-up is the first drawing.
	again, _ := q.Get("att_1", "https://wallet.example/changed")
	if &again.PNG[0] != &first.PNG[0] || again.DataURI != first.DataURI {
		t.Error("the QR code of att_1 was drawn twice")
	}
	if other, _ := q.Get("att_2", "https://wallet.example/att_2"); bytes.Equal(other.PNG, first.PNG) {
		t.Error("two attempts share a QR code")
	}

	for i := len(q.codes); i < maxQRCodes; i++ {
		q.codes[fmt.Sprint("att_old_", i)] = first
	}
	if _, err := q.Get("att_new", "https://wallet.example/att_new"); err != nil {
		t.Fatal(err)
	}
	if n := len(q.codes); n != 1 {
		t.Errorf("%d QR codes kept past the bound of %d, want only the newest", n, maxQRCodes)
	}
}
