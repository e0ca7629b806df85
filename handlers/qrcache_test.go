package handlers

import (
	"bytes"
	"encoding/base64"
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
	if _, err := png.Decode(bytes.NewReader(first.png)); err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if want := "data:image/png;base64," + base64.StdEncoding.EncodeToString(first.png); first.dataURI != want {
		t.Error("the data: URI is not the PNG's")
	}
	// An attempt's mobile URL never changes: the second look-up is the first drawing.
	again, _ := q.get("att_1", "https://wallet.example/changed")
	if &again.png[0] != &first.png[0] || again.dataURI != first.dataURI {
		t.Error("the QR code of att_1 was drawn twice")
	}
	if other, _ := q.get("att_2", "https://wallet.example/att_2"); bytes.Equal(other.png, first.png) {
		t.Error("two attempts share a QR code")
	}

	for i := len(q.codes); i < maxQRCodes; i++ {
		q.codes[fmt.Sprint("att_old_", i)] = first
	}
	if _, err := q.get("att_new", "https://wallet.example/att_new"); err != nil {
		t.Fatal(err)
	}
	if n := len(q.codes); n != 1 {
		t.Errorf("%d QR codes kept past the bound of %d, want only the newest", n, maxQRCodes)
	}
}
