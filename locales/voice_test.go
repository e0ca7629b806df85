package locales

import (
	"io/fs"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// maxFormal is how many Korean shopper and dashboard strings may stay in the formal register
// (합쇼체): the pages speak 해요체, as Toss's and KakaoPay's own pages do.
const maxFormal = 10

// formal tells whether s ends a sentence in 합쇼체: a syllable with the final consonant ㅂ
// followed by 니다 or 니까 (…습니다, …입니다, …됩니까), or …십시오.
func formal(s string) bool {
	if strings.Contains(s, "십시오") {
		return true
	}
	for i, r := range s {
		if r < 0xAC00 || r > 0xD7A3 || (r-0xAC00)%28 != 17 { // 17: the final ㅂ
			continue
		}
		rest := s[i+utf8.RuneLen(r):]
		if strings.HasPrefix(rest, "니다") || strings.HasPrefix(rest, "니까") {
			return true
		}
	}
	return false
}

func TestFormalDetectsHapsyoche(t *testing.T) {
	for s, want := range map[string]bool{
		"결제가 완료되었습니다":   true,
		"취소된 주문입니다.":    true,
		"다시 시도하십시오":     true,
		"환불할까요? 정말입니까?": true,
		"결제를 완료했어요":     false,
		"다시 결제해 주세요":    false,
		"11,000원 결제하기":  false,
		"입니다만 아닌 말":     true, // a false positive is a prompt to look, not a failure of the rule
	} {
		if got := formal(s); got != want {
			t.Errorf("formal(%q) = %v, want %v", s, got, want)
		}
	}
}

// koreanStrings reads every Korean message of the shopper pages and the dashboard: each
// *.ko.toml but the sandbox's, whose wallet imitates KakaoPay's own pages and keeps their
// register.
func koreanStrings(t *testing.T) map[string]string {
	t.Helper()
	names, err := fs.Glob(files, "*.ko.toml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range names {
		if strings.HasPrefix(name, "sandbox.") {
			continue
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]any
		if err := toml.Unmarshal(b, &msgs); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for id, v := range msgs {
			switch v := v.(type) {
			case string:
				out[name+" "+id] = v
			case map[string]any: // plural forms
				for form, s := range v {
					if s, ok := s.(string); ok {
						out[name+" "+id+"."+form] = s
					}
				}
			}
		}
	}
	return out
}

// TestKoreanSpeaksOneVoice: the shopper pages and the dashboard speak 해요체 ("결제를 완료했어요",
// "다시 결제해 주세요"), not 합쇼체 ("결제가 완료되었습니다"): at most maxFormal strings keep it.
func TestKoreanSpeaksOneVoice(t *testing.T) {
	all := koreanStrings(t)
	var formalOnes []string
	for id, s := range all {
		if formal(s) {
			formalOnes = append(formalOnes, id+" = "+s)
		}
	}
	sort.Strings(formalOnes)
	t.Logf("%d of %d Korean strings in 합쇼체 (limit %d)", len(formalOnes), len(all), maxFormal)
	if len(formalOnes) > maxFormal {
		t.Errorf("%d Korean strings speak 합쇼체, at most %d may:\n  %s", len(formalOnes), maxFormal, strings.Join(formalOnes, "\n  "))
	}
}
