// Package locales holds kpcheckout's go-i18n message files (Korean first, then English), embedded.
package locales

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed *.toml
var files embed.FS

// Supported lists the languages kpcheckout speaks, the default first.
var Supported = []language.Tag{language.Korean, language.English}

// Bundle loads every message file into a go-i18n bundle whose default language is Korean.
func Bundle() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.Korean)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	names, err := fs.Glob(files, "*.toml")
	if err != nil {
		return nil, fmt.Errorf("locales: %w", err)
	}
	for _, name := range names {
		if _, err := b.LoadMessageFileFS(files, name); err != nil {
			return nil, fmt.Errorf("locales: %s: %w", name, err)
		}
	}
	return b, nil
}
